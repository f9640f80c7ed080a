import { IResolveContext, Lazy, Token } from 'cdktf';

/**
 * A string token in encoded form (`${TfToken[TOKEN.12]}`): cdktf's marker
 * (`BEGIN_STRING_TOKEN_MARKER`, `VALID_KEY_CHARS`, `END_TOKEN_MARKER` of its
 * encoding), captured so that `split` keeps it.
 */
const STRING_TOKEN = /(\$\{TfToken\[[a-zA-Z0-9:._-]+\]\})/;

/**
 * A long text with tokens in it (a pipeline definition as JSON), resolved at
 * synth to exactly what cdktf resolves it to, in time linear in its length.
 *
 * cdktf resolves a string with tokens by scanning it for `${`…`}` escapes
 * from every `}` it meets to the next `${` that is not a token: on JSON text
 * (a `}` every few characters, tokens far apart) that is quadratic, tens of
 * milliseconds for a 60 kB KFP spec at each of the two resolutions of a
 * synth. Here each token is resolved on its own and the text between tokens
 * is kept as it is, which is what cdktf does when that text has no `${` of
 * its own; a text that has one (a Terraform expression written as text) is
 * left to cdktf. Number tokens (written into JSON as numbers) are resolved
 * by cdktf afterwards, as before.
 */
export function linearTokenText(text: string): string {
  if (!Token.isUnresolved(text)) return text;
  return Lazy.stringValue({ produce: (context: IResolveContext) => resolveTokens(text, context) });
}

function resolveTokens(text: string, context: IResolveContext): string {
  const parts = text.split(STRING_TOKEN);
  // Odd entries are tokens; the text between them must be plain for cdktf's escapes to have nothing to do.
  if (parts.some((part, i) => i % 2 === 0 && part.includes('${'))) return text;
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 0) {
      out += parts[i];
      continue;
    }
    const value = context.resolve(parts[i]);
    if (typeof value !== 'string') return text;
    out += value;
  }
  return out;
}
