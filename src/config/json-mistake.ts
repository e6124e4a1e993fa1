import { type ParseError, parse, printParseErrorCode } from "jsonc-parser";

// Where a text that is not JSON goes wrong, said without quoting it: JSON.parse's own words quote ten
// characters either side of the mistake, and in a config file the mistake is most often beside a secret (a
// value left unquoted, a comma forgotten after it). The line and column find it as well.

// By printParseErrorCode's names: the codes are a const enum, which this module syntax cannot read.
const WORDS: Record<string, string> = {
  InvalidSymbol: "a word that is not JSON (is a text value missing its double quotes?)",
  InvalidNumberFormat: "a number written as JSON does not write one",
  PropertyNameExpected: "a name in double quotes was expected",
  ValueExpected: "a value was expected",
  ColonExpected: '":" was expected after the name',
  CommaExpected: '"," was expected between two entries',
  CloseBraceExpected: '"}" was expected',
  CloseBracketExpected: '"]" was expected',
  EndOfFileExpected: "nothing may follow the object",
  InvalidCommentToken: "JSON has no comments",
  UnexpectedEndOfComment: "JSON has no comments",
  UnexpectedEndOfString: "a text value is not closed on its line",
  UnexpectedEndOfNumber: "a number ends too early",
  InvalidUnicode: "a \\u escape without four hexadecimal digits",
  InvalidEscapeCharacter: "a backslash escape that JSON does not have",
  InvalidCharacter: "a control character inside a text value (write a tab or line break as \\t or \\n)",
};

/** "not valid JSON: <what> at line L, column C" for a `text` JSON.parse refused, quoting none of it. */
export function jsonMistake(text: string): string {
  const errors: ParseError[] = [];
  parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first) return "not valid JSON";
  const before = text.slice(0, first.offset);
  const line = before.split("\n").length;
  const column = first.offset - (before.lastIndexOf("\n") + 1) + 1;
  const what = WORDS[printParseErrorCode(first.error)] ?? "a mistake";
  return `not valid JSON: ${what} at line ${line}, column ${column}`;
}
