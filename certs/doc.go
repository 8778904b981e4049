// Package certs decides whether the Configuration Manager 2007 mobile device
// client may install on a Windows Mobile or Windows CE device: code signing,
// certificate stores, site modes and certificate enrollment, as pure
// functions over small comparable values.
//
//	p, err := certs.ParsePlatform("WM6Std") // from a fleet file, say
//	if err != nil {
//		return err // errors.Is(err, certs.ErrInvalidInput)
//	}
//	r, err := certs.EstablishTrust(p, certs.Standard.Security())
//	if errors.Is(err, certs.ErrAccessDenied) {
//		fmt.Println(r.LogLine) // Access Denied (0x80070005).
//	}
//
// It is for policy tests and tools that ask "what happens to this device?":
// every input space is finite, so a test can loop over all of it
// ([Platforms], [Securities], [SiteModes], [EnrollmentConditionsAll]). It
// is not a certificate library: it parses no certificates, verifies no
// signatures and touches no device. It does not run the installer chain or
// keep any state between calls; the lifecycle package does that around it.
// It imports no other public package of dmclient, only internal helpers.
//
// # Platforms
//
// [Platform] ([Platforms], [ParsePlatform]) names a device platform and knows
// whether code signing applies ([Platform.SigningApplies]: not on Pocket PC
// 2003 nor Windows CE), whether it supports two-tier security
// ([Platform.TwoTier], [Platform.IsSmartphone]) and its installer file names
// ([Platform.Token], [Platform.InstallerName], [Platform.SetupName],
// [Platform.IsInstallerName], [Platform.IsSetupName]).
//
// # Device security
//
// [Security] holds the two facts the product page uses: does the device trust
// the Mobile2Market unprivileged certificate, and did the operator or vendor
// restrict privileges. [Security.Unlocked] combines them; [Securities] lists
// all four combinations. [Policies] holds the security policies 4123
// (one-tier or two-tier), 4102 and 4122 and maps onto the facts with
// [Policies.Security]; [Configuration] ([ParseConfiguration]) names the
// common configurations ([Restricted], [Standard], [Unrestricted],
// [Mobile2MarketLocked]) with their [Configuration.Policies] and
// [Configuration.Security].
//
// # The trust step
//
// [EstablishTrust] is what happens when DMInstaller runs: may it run, does
// the Microsoft Authenticode certificate land in the [PrivilegedExecution]
// and [SPC] stores (a [Store]), may it call DMClientSetup. Its [TrustResult]
// is plain data. A denial is an error that satisfies errors.Is(err,
// [ErrAccessDenied]), and also [ErrUntrustedInstaller] when the device does
// not trust Mobile2Market; its HRESULT is [EAccessDenied] (0x80070005, the
// text form of an [HRESULT]) and DMInstaller.log records
// [AccessDeniedLogLine].
//
// # Site modes and enrollment
//
// [SiteMode] ([SiteModes], [ParseSiteMode]: [Mixed], [Native],
// [ServerAuthentication]) says with [SiteMode.RequiresEnrollment] whether
// certificate enrollment is required. [Enroll] turns [EnrollmentConditions]
// (is the CA reachable, does the user's authentication succeed) into an
// [EnrollmentResult] ([Enrolled], [CAUnreachable], [AuthenticationFailed])
// and its error ([ErrCAUnreachable], [ErrAuthenticationFailed]);
// [EnrollmentResult.WritesLog] says whether a DMCertEnroll log is left
// behind. Whether an enrollment runs at all is the caller's decision.
//
// # Enumerations and errors
//
// [Platform], [Configuration], [Store], [SiteMode] and [EnrollmentResult]
// follow one convention. Each is a uint8 whose zero value is invalid, with
// IsValid; String of an invalid value is "Type(9)"; MarshalText writes the
// String form and fails on an invalid value; UnmarshalText (and the Parse
// function, where there is one) compares case-insensitively, ignores
// surrounding blanks, accepts the alternative spellings documented for the
// type (none for EnrollmentResult), and leaves its destination unchanged on
// error. A zero value that means "absent", such as an enrollment that did
// not run, belongs in a field tagged omitempty.
//
// Every error about a bad value, from parsing, marshalling or
// [EstablishTrust], wraps the one sentinel [ErrInvalidInput]; its message
// names the type and quotes at most about 100 bytes of any bad text, and
// for text that names no value of an enumerated type it lists the accepted
// names. The other sentinels are failures of the modelled
// device: [ErrAccessDenied], [ErrUntrustedInstaller], [ErrCAUnreachable],
// [ErrAuthenticationFailed].
//
// # Modelling choices
//
// Where the product page is silent the package chooses, and says so in the
// documentation of the name concerned with the words "modelling choice":
// the platform tokens ([Platform.Token]), Windows CE's tier
// ([Platform.TwoTier]), the mapping of policies and configurations onto the
// two facts ([Policies.Security], [Configuration.Policies],
// [Configuration.Security]), the meaning of an exempt platform, the order of
// the store writes and the untrusted log line ([EstablishTrust]), server
// authentication mode ([ServerAuthentication]) and the DMCertEnroll log on
// failure ([EnrollmentResult.WritesLog]).
package certs
