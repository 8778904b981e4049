// Package ini reads and edits the configuration files of the Configuration
// Manager 2007 mobile device client, DMCommonInstaller.ini and
// ClientSettings.ini, without losing a byte.
//
// Administrators hand-edit these files and tools rewrite them, so a tool that
// drops a comment or reorders a line is not trusted. A [File] keeps every byte
// of its input, like golang.org/x/mod/modfile: [File.Bytes] returns the input
// unchanged until an edit, and the edit methods change only the bytes they
// must. Reading follows the rules of GetPrivateProfileString, which is how the
// client's installer reads the files; where those rules are silent the package
// documents a "modelling choice".
//
// # Documents
//
//   - [Parse] reads a file; [File.Bytes] writes it back.
//   - [File.Get] reads one value; [File.Sections], [File.Entries] and
//     [File.Ignored] list what Windows reads and what it ignores, with line
//     numbers.
//   - [File.Set] and [File.Delete] edit like WritePrivateProfileString.
//   - [File.Name], [File.Kind] ([KindOf]) and [File.Encoding] describe it.
//
// Reading rules: section and key names compare ignoring case and keep their
// case; the first line of a key wins; the keys of a repeated section are
// ignored; ';' starts a comment only as the first non-blank of a line; '#' is
// an ordinary character; there are no end-of-line comments ("k=v ; x" has the
// value "v ; x"); blanks around names and values are trimmed; one pair of
// matching outer quotes, "..." or '...', is stripped from a value; lines
// without '=' and keys before the first section are ignored; "[Name" without
// ']' is the section Name, and blanks inside the brackets are trimmed.
// Encodings: UTF-8 with or without a byte order mark, bytes that are not
// UTF-8 (ANSI code pages) kept as they are, and UTF-16 with a byte order mark,
// written back in the same encoding. CRLF, LF and mixed line endings are kept.
//
// # Settings
//
// [File.Settings] decodes the keys the product documents into [Settings]:
// ClientInstallAction ([Action]), CertEnrollAction ([CertEnroll]) and
// Installer ([InstallerPlatform]). It reports every problem at once as an
// [ErrorList] and lists unknown keys rather than rejecting them.
// [File.SetSettings] writes settings back, changing only what changed, and
// returns a [Warning] when it touches a value DMCommonInstaller.ini marks "do
// not modify" ([DoNotModify]).
//
// # Not for
//
// The package is not a general configuration library: it has no typed
// getters for numbers or lists, no struct mapping, no inheritance or
// interpolation, and it does not read files from disk (pass the bytes).
// The deployment itself (what an action does to a device) belongs to the
// lifecycle package.
package ini
