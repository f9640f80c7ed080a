import { CORE_SCHEMA, load } from 'js-yaml';

/**
 * The runtime's one YAML reader (pipeline files, data contracts): one
 * document, the YAML 1.2 core schema (strings, numbers, booleans, null; a
 * date stays a string, `yes`/`no` are strings), a duplicate key an error.
 * js-yaml, the parser the construct library reads stack configs with, so
 * one parser reads every YAML file of the project. Throws js-yaml's
 * `YAMLException`, whose message gives the line and column with a snippet.
 */
export function parseYamlText(text: string, filename?: string): unknown {
  return load(text, { schema: CORE_SCHEMA, filename });
}
