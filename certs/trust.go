package certs

import (
	"errors"
	"slices"
)

// AccessDeniedLogLine is the line DMInstaller writes to DMInstaller.log when
// the trust step fails ([TrustResult.LogLine]). The product page prints it
// as "Access Denied (0x8007005).", a typo for E_ACCESSDENIED
// ([EAccessDenied]).
const AccessDeniedLogLine = "Access Denied (0x80070005)."

// ErrAccessDenied is the sentinel for a failed trust step: every error
// [EstablishTrust] returns for a device it denies satisfies
// errors.Is(err, ErrAccessDenied), whether privileges are restricted or the
// device does not trust the Mobile2Market certificate (then the error is
// also [ErrUntrustedInstaller]). Every such failure has the HRESULT
// [EAccessDenied] and leaves [AccessDeniedLogLine] in DMInstaller.log; the
// message names the installer, such as
//
//	certs: DMInstaller_WM6Std.exe could not install the Microsoft Authenticode certificate in the Privileged Execution Trust Authorities store: access denied (0x80070005)
//
// There is no error type to read with errors.As, because a denial has no
// fields worth reading: its HRESULT is always [EAccessDenied], its platform
// is the caller's own argument, and the store that refused the write is
// always [PrivilegedExecution]. [TrustResult] holds what the step did.
var ErrAccessDenied = errors.New("certs: " + accessDenied)

// ErrUntrustedInstaller is the sentinel for a device that does not trust the
// Mobile2Market certificate DMInstaller is signed with, so DMInstaller
// cannot run at all. An error that is ErrUntrustedInstaller is also
// [ErrAccessDenied]: the product page counts an untrusted certificate among
// the conditions that end in "Access Denied".
var ErrUntrustedInstaller = errors.New("certs: device does not trust the Mobile2Market certificate")

// trustError is the error of a denied trust step; see [ErrAccessDenied]:
// the platform, and bit 7 set where the device does not trust
// Mobile2Market ([ErrUntrustedInstaller]: DMInstaller could not run). As
// one byte, it is an error without an allocation.
type trustError uint8

const untrustedBit trustError = 1 << 7

func denial(p Platform, untrusted bool) trustError {
	e := trustError(p)
	if untrusted {
		e |= untrustedBit
	}
	return e
}

func (e trustError) platform() Platform { return Platform(e &^ untrustedBit) }
func (e trustError) untrusted() bool    { return e&untrustedBit != 0 }

// accessDenied ends a denial's message: [EAccessDenied] as the
// product page reports it.
const accessDenied = "access denied (0x80070005)"

// denialMessages[p] are the messages of a denial on platform p: DMInstaller
// could not run (untrusted), or could not write the [PrivilegedExecution]
// store. A read-only table derived once from the installer names, so that
// writing a denial's message allocates nothing: a denied device's status
// message carries it, and a fleet has many.
var denialMessages = func() (m [WM6Standard + 1]struct{ untrusted, restricted string }) {
	for _, p := range Platforms() {
		name := "certs: " + p.InstallerName()
		m[p].untrusted = name + " cannot run: the device does not trust the Mobile2Market certificate it is signed with: " + accessDenied
		m[p].restricted = name + " could not install the Microsoft Authenticode certificate in the " +
			PrivilegedExecution.String() + " store: " + accessDenied
	}
	return m
}()

// Error names the installer; see [denialMessages].
func (e trustError) Error() string {
	m := &denialMessages[e.platform()]
	if e.untrusted() {
		return m.untrusted
	}
	return m.restricted
}

// Is reports whether target is [ErrAccessDenied], or [ErrUntrustedInstaller]
// for a device that does not trust Mobile2Market.
func (e trustError) Is(target error) bool {
	return target == ErrAccessDenied || (e.untrusted() && target == ErrUntrustedInstaller)
}

// TrustResult is what the trust step did on a device; see [EstablishTrust].
// It is plain data: compare it with go-cmp, encode it as JSON.
type TrustResult struct {
	// Exempt reports a platform exempt from code signing (Pocket PC 2003,
	// Windows CE): no Authenticode step.
	Exempt bool `json:"exempt"`
	// InstallerRan reports whether DMInstaller was allowed to run.
	InstallerRan bool `json:"installerRan"`
	// Installed lists the stores the Microsoft Authenticode certificate was
	// installed in, in the order of the [Store] constants:
	// [PrivilegedExecution] and [SPC] on success, none otherwise (and none
	// on an exempt platform).
	Installed []Store `json:"installed,omitempty"`
	// SetupMayRun reports whether DMInstaller may call DMClientSetup.
	SetupMayRun bool `json:"setupMayRun"`
	// LogLine is what the DMInstaller log records about the trust step:
	// [AccessDeniedLogLine] when it failed, "" otherwise.
	LogLine string `json:"logLine,omitempty"`
}

// InstalledIn reports whether the Authenticode certificate landed in store.
func (r TrustResult) InstalledIn(store Store) bool { return slices.Contains(r.Installed, store) }

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
//     run, LogLine is [AccessDeniedLogLine], and the error is
//     [ErrAccessDenied].
//   - The device does not trust Mobile2Market: DMInstaller cannot run at all,
//     nothing is installed, setup may not run, and the error is both
//     [ErrUntrustedInstaller] and [ErrAccessDenied]. Modelling choice:
//     LogLine is still [AccessDeniedLogLine], because the product page
//     counts an untrusted certificate among the conditions whose failure
//     leaves that line in DMInstaller.log; InstallerRan tells the two
//     failures apart.
//
// An invalid platform returns the zero TrustResult and an error wrapping
// [ErrInvalidInput] (and not [ErrAccessDenied]).
//
// For a valid platform only an unlocked device's result allocates (its
// Installed slice): the exempt case and the denials, their errors and
// messages included, do not. The error of an invalid platform allocates.
func EstablishTrust(p Platform, s Security) (TrustResult, error) {
	switch {
	case !p.IsValid():
		return TrustResult{}, &inputError{msg: "certs: invalid platform " + p.String()}
	case !p.SigningApplies():
		return TrustResult{Exempt: true, InstallerRan: true, SetupMayRun: true}, nil
	case !s.TrustsMobile2Market:
		return TrustResult{LogLine: AccessDeniedLogLine}, denial(p, true)
	case s.PrivilegesRestricted:
		return TrustResult{InstallerRan: true, LogLine: AccessDeniedLogLine}, denial(p, false)
	}
	return TrustResult{InstallerRan: true, Installed: []Store{PrivilegedExecution, SPC}, SetupMayRun: true}, nil
}
