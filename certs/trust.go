package certs

import (
	"errors"
	"strconv"
)

// AccessDeniedLogLine is the line DMInstaller writes to DMInstaller.log when
// the trust step fails. The product page prints it as
// "Access Denied (0x8007005).", a typo for E_ACCESSDENIED ([EAccessDenied]).
const AccessDeniedLogLine = "Access Denied (0x80070005)."

// ErrAccessDenied is the sentinel for a failed trust step: every error
// [EstablishTrust] returns for a locked device satisfies
// errors.Is(err, ErrAccessDenied), whether it is an [*AccessDeniedError] or
// an [*UntrustedInstallerError].
var ErrAccessDenied = errors.New("certs: access denied (0x80070005)")

// ErrUntrustedInstaller is the sentinel for a device that does not trust the
// Mobile2Market certificate DMInstaller is signed with, so DMInstaller
// cannot run at all. See [*UntrustedInstallerError].
var ErrUntrustedInstaller = errors.New("certs: device does not trust the Mobile2Market certificate")

// AccessDeniedError reports that DMInstaller ran but could not install the
// Microsoft Authenticode certificate because the operator or vendor
// restricted privileges. It satisfies errors.Is(err, [ErrAccessDenied]).
type AccessDeniedError struct {
	Platform Platform // the platform whose DMInstaller ran
	Store    Store    // the store the write failed on
}

// Error returns a message naming the installer, the store and the HRESULT.
func (e *AccessDeniedError) Error() string {
	return "certs: " + installerName(e.Platform) + " could not install the Microsoft Authenticode certificate in the " +
		e.Store.String() + " store: access denied (" + EAccessDenied.String() + ")"
}

// Is reports whether target is [ErrAccessDenied].
func (e *AccessDeniedError) Is(target error) bool { return target == ErrAccessDenied }

// HRESULT returns [EAccessDenied].
func (e *AccessDeniedError) HRESULT() HRESULT { return EAccessDenied }

// LogLine returns the line DMInstaller writes to its log,
// [AccessDeniedLogLine].
func (e *AccessDeniedError) LogLine() string { return AccessDeniedLogLine }

// UntrustedInstallerError reports that the device does not trust the
// Mobile2Market certificate, so DMInstaller could not run at all. It
// satisfies both errors.Is(err, [ErrUntrustedInstaller]) and
// errors.Is(err, [ErrAccessDenied]): the product page counts an untrusted
// certificate among the conditions that end in "Access Denied".
type UntrustedInstallerError struct {
	Platform Platform // the platform whose DMInstaller was refused
}

// Error returns a message naming the installer and the HRESULT.
func (e *UntrustedInstallerError) Error() string {
	return "certs: " + installerName(e.Platform) +
		" cannot run: the device does not trust the Mobile2Market certificate it is signed with: access denied (" +
		EAccessDenied.String() + ")"
}

// Is reports whether target is [ErrUntrustedInstaller] or [ErrAccessDenied].
func (e *UntrustedInstallerError) Is(target error) bool {
	return target == ErrUntrustedInstaller || target == ErrAccessDenied
}

// HRESULT returns [EAccessDenied].
func (e *UntrustedInstallerError) HRESULT() HRESULT { return EAccessDenied }

// LogLine returns [AccessDeniedLogLine]; see [TrustResult.LogLine].
func (e *UntrustedInstallerError) LogLine() string { return AccessDeniedLogLine }

// InvalidPlatformError reports a [Platform] value that is not one of
// [Platforms]. It wraps [ErrUnknownPlatform].
type InvalidPlatformError struct {
	Platform Platform // the rejected value
}

// Error returns a message naming the value.
func (e *InvalidPlatformError) Error() string {
	return "certs: unknown platform " + strconv.Itoa(int(e.Platform))
}

// Unwrap returns [ErrUnknownPlatform].
func (e *InvalidPlatformError) Unwrap() error { return ErrUnknownPlatform }

func installerName(p Platform) string {
	if n := p.InstallerName(); n != "" {
		return n
	}
	return "DMInstaller"
}

// TrustResult is what the trust step did on a device; see [EstablishTrust].
type TrustResult struct {
	// Exempt reports a platform exempt from code signing (Pocket PC 2003,
	// Windows CE): no Authenticode step.
	Exempt bool
	// InstallerRan reports whether DMInstaller was allowed to run.
	InstallerRan bool
	// Installed lists the stores the Microsoft Authenticode certificate was
	// installed in, in [Stores] order: [PrivilegedExecution] and [SPC] on
	// success, none otherwise (and none on an exempt platform).
	Installed []Store
	// SetupMayRun reports whether DMInstaller may call DMClientSetup.
	SetupMayRun bool
	// LogLine is what the DMInstaller log records about the trust step:
	// [AccessDeniedLogLine] when it failed, "" otherwise.
	LogLine string
}

// InstalledIn reports whether the Authenticode certificate landed in store.
func (r TrustResult) InstalledIn(store Store) bool {
	for _, s := range r.Installed {
		if s == store {
			return true
		}
	}
	return false
}

// EstablishTrust runs the trust step, what happens when
// DMInstaller_<token>.exe (see [Platform.InstallerName]) starts on a device
// of platform p with security s. The product page's rules:
//
//   - Signing does not apply to Pocket PC 2003 or Windows CE: the result is
//     Exempt, DMInstaller runs, no Authenticode certificate is installed,
//     and setup may run. s is ignored (modelling choice: with no signing
//     there is no trust decision for it to influence).
//   - Unlocked device ([Security.Unlocked]): DMInstaller runs, installs the
//     Microsoft Authenticode certificate in the [PrivilegedExecution] and
//     [SPC] stores, and may call DMClientSetup. The error is nil.
//   - The device trusts Mobile2Market but privileges are restricted:
//     DMInstaller runs, its write to the privileged execution store is
//     denied, nothing is installed (modelling choice: it writes that store
//     first and stops at the failure, so SPC is never touched), setup may not
//     run, LogLine is [AccessDeniedLogLine], and the error is an
//     [*AccessDeniedError] with Store [PrivilegedExecution].
//   - The device does not trust Mobile2Market: DMInstaller cannot run at all,
//     nothing is installed, setup may not run, and the error is an
//     [*UntrustedInstallerError] (errors.Is both [ErrUntrustedInstaller] and
//     [ErrAccessDenied]). Modelling choice: LogLine is still
//     [AccessDeniedLogLine], because the product page counts an untrusted
//     certificate among the conditions whose failure leaves that line in
//     DMInstaller.log; InstallerRan tells the two failures apart.
//
// An invalid platform returns the zero TrustResult and an
// [*InvalidPlatformError] (errors.Is [ErrUnknownPlatform]).
//
// Only the unlocked case allocates (the two-element Installed slice); the
// exempt case does not allocate.
func EstablishTrust(p Platform, s Security) (TrustResult, error) {
	switch {
	case !p.IsValid():
		return TrustResult{}, &InvalidPlatformError{Platform: p}
	case !p.SigningApplies():
		return TrustResult{Exempt: true, InstallerRan: true, SetupMayRun: true}, nil
	case !s.TrustsMobile2Market:
		return TrustResult{LogLine: AccessDeniedLogLine}, &UntrustedInstallerError{Platform: p}
	case s.PrivilegesRestricted:
		return TrustResult{InstallerRan: true, LogLine: AccessDeniedLogLine},
			&AccessDeniedError{Platform: p, Store: PrivilegedExecution}
	}
	return TrustResult{InstallerRan: true, Installed: []Store{PrivilegedExecution, SPC}, SetupMayRun: true}, nil
}
