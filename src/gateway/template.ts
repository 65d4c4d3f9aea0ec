// Templates ready to use: a built-in name or a file (YAML or JSON), validated and compiled once.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { BUILTIN_TEMPLATES } from './builtin-templates.js';
import { describeZodIssues } from './gateway-config.js';
import { GatewayConfigError } from './gateway-error.js';
import { type BodySegment, compileBody, TemplateBodyError } from './request-body.js';
import { type ResponseMapping, templateSchema } from './template-schema.js';

export interface CompiledTemplate {
  readonly name: string;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: readonly BodySegment[];
  readonly response: ResponseMapping;
}

/** Validates and compiles a template object; `source` names it in errors (a file path or built-in name). */
export function compileTemplate(value: unknown, source: string): CompiledTemplate {
  const parsed = templateSchema.safeParse(value);
  if (!parsed.success) throw new GatewayConfigError('gateway.template', `template ${source}: ${describeZodIssues('template', parsed.error)}`);
  const definition = parsed.data;
  let body: readonly BodySegment[];
  try {
    body = compileBody(definition.body);
  } catch (error) {
    if (error instanceof TemplateBodyError) throw new GatewayConfigError('gateway.template', `template ${source}: template.body: ${error.message}`);
    throw error;
  }
  return { name: definition.name, contentType: definition.contentType, headers: definition.headers, body, response: definition.response };
}

export function isBuiltinTemplate(name: string): boolean {
  return Object.hasOwn(BUILTIN_TEMPLATES, name);
}

/** `authorize-net`, `generic`, or the path of a .yaml/.yml/.json template file. */
export function loadTemplate(nameOrPath: string): CompiledTemplate {
  if (isBuiltinTemplate(nameOrPath)) return compileTemplate(BUILTIN_TEMPLATES[nameOrPath], `${nameOrPath} (built-in)`);
  let text: string;
  try {
    text = readFileSync(nameOrPath, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new GatewayConfigError('gateway.template', `template ${nameOrPath}: not a built-in template (${Object.keys(BUILTIN_TEMPLATES).join(', ')}) and cannot be read (${reason})`);
  }
  let value: unknown;
  try {
    // JSON is YAML 1.2, so one parser reads both.
    value = parseYaml(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : 'syntax error';
    throw new GatewayConfigError('gateway.template', `template ${nameOrPath}: not valid YAML or JSON: ${detail ?? ''}`);
  }
  return compileTemplate(value, nameOrPath);
}
