// Package certs models the code-signing, certificate-store, site-mode and
// enrollment rules that decide whether the Configuration Manager 2007 mobile
// device client may install on a Windows Mobile or Windows CE device, as pure
// functions over small comparable values.
//
// It is for policy tests and tools that ask "what happens to this device?":
// every input space is finite and listed, so a test can loop over all of it.
// It is not a certificate library: it parses no certificates, verifies no
// signatures and touches no device. It imports nothing else of dmclient;
// the lifecycle package runs the installer chain around it.
//
// # Platforms
//
// [Platform] ([Platforms], [ParsePlatform]) names a device platform and knows
// whether code signing applies ([Platform.SigningApplies]: not on Pocket PC
// 2003 nor Windows CE), whether it supports two-tier security
// ([Platform.TwoTier], [Platform.IsSmartphone]) and its installer file names
// ([Platform.Token], [Platform.InstallerName], [Platform.SetupName]).
//
// # Device security
//
// [Security] holds the two facts the product page uses: does the device trust
// the Mobile2Market unprivileged certificate, and did the operator or vendor
// restrict privileges. [Security.Unlocked] combines them; [Securities] lists
// all four combinations. [Policies] holds the security policies 4123
// ([Tier]), 4102 and 4122 and maps onto the facts with [Policies.Security];
// [Configuration] names the common configurations ([Restricted], [Standard],
// [Unrestricted], [Mobile2MarketLocked]) with their [Configuration.Policies]
// and [Configuration.Security].
//
// # Certificate stores
//
// [Store] ([Stores], [ParseStore]) names the device certificate stores:
// [PrivilegedExecution], [UnprivilegedExecution], [SPC], [Root], [CA], [MY].
//
// # The trust step
//
// [EstablishTrust] is what happens when DMInstaller runs: may it run, does
// the Microsoft Authenticode certificate land in the privileged execution
// and SPC stores, may it call DMClientSetup. Its [TrustResult] is plain data.
// A failure is an [*AccessDeniedError] (privileges restricted) or an
// [*UntrustedInstallerError] (Mobile2Market not trusted); both satisfy
// errors.Is(err, [ErrAccessDenied]), carry the HRESULT [EAccessDenied]
// (0x80070005) and render [AccessDeniedLogLine], the line DMInstaller.log
// records. The second also satisfies errors.Is(err, [ErrUntrustedInstaller]).
//
// # Site modes and enrollment
//
// [SiteMode] ([Mixed], [Native], [ServerAuthentication]) says with
// [SiteMode.RequiresEnrollment] whether certificate enrollment is required.
// [Enroll] turns [EnrollmentConditions] (is the CA reachable, does the user's
// one-time authentication succeed; all four in [EnrollmentConditionsAll])
// into an [EnrollmentResult] ([Enrolled], [CAUnreachable],
// [AuthenticationFailed]) and its error ([ErrCAUnreachable],
// [ErrAuthenticationFailed]); [EnrollmentResult.WritesLog] says whether a
// DMCertEnroll log is left behind. [EnrollmentSoftware] records whose
// enrollment software is used.
//
// # Enumerations
//
// Every enumeration is a uint8 whose zero value is invalid, with String,
// IsValid, a case-insensitive Parse function returning a [*ParseError]
// (errors.Is its ErrUnknown... sentinel), MarshalText/UnmarshalText (the
// zero value as empty text) and a function listing all valid values in
// order.
//
// # Modelling choices
//
// Where the product page is silent the package chooses, and says so in the
// documentation of the name concerned with the words "modelling choice":
// the platform tokens ([Platform.Token]), the mapping of policies and
// configurations onto the two facts ([Policies.Security],
// [Configuration.Policies], [Configuration.Security]), the meaning of an
// exempt platform and the untrusted log line ([EstablishTrust]), server
// authentication mode ([ServerAuthentication]) and the DMCertEnroll log on
// failure ([EnrollmentResult.WritesLog]).
package certs
