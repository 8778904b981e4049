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
//   - [File.Set] and [File.Delete] edit like WritePrivateProfileString;
//     [File.Clone] copies a file to edit.
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
// written back in the same encoding. LF and CRLF line endings, mixed as a
// file has them, are kept; a CR alone ends no line, as for Windows, and
// [File.Settings] reports the text it hides.
//
// Every operation takes time linear in the size of the file (and
// [File.SetSettings] in the number of settings it writes, up to a log
// factor for the sorting of its edits), the file being at most [MaxSize]
// bytes: [Parse] refuses a larger input and an edit that would grow a file
// past it fails with [ErrTooLarge], leaving the file as it was.
//
// # Settings
//
// [File.Settings] decodes the keys the product documents into [Settings]:
// ClientInstallAction ([Action]), CertEnrollAction ([CertEnroll]) and
// Installer ([InstallerPlatform]). It reports every problem at once as an
// [ErrorList] of [*Error], each with the file name, line and key, and lists
// unknown keys rather than rejecting them. [Settings.File] and
// [Settings.Line] let a caller place a problem it finds itself in a value.
// [Settings.Pairs] lists what the settings configure on the client.
// [File.SetSettings] writes settings back in one pass, changing only what
// changed, and returns a [Warning] when it touches a value
// DMCommonInstaller.ini marks "do not modify" ([DoNotModify]).
//
// # Errors
//
// [ErrTooLarge] is the one sentinel: the failure a caller can act on (the
// file is too large, or an edit would make it so). A problem in a file is
// an [*Error] whose fields say where; [File.Set] rejects names and values
// it cannot write with a plain error. Messages start with "ini: " once,
// and quote a bad value in at most about 100 bytes.
//
// The enumerated types [Action], [Kind] and [Encoding] print an invalid
// value as "Type(n)", refuse to marshal it, and unmarshal their names
// ignoring case.
//
// # Not for
//
// The package is not a general configuration library: it has no typed
// getters for numbers or lists, no struct mapping, no inheritance or
// interpolation, and it does not read files from disk (pass the bytes).
// The deployment itself (what an action does to a device) belongs to the
// lifecycle package.
package ini
