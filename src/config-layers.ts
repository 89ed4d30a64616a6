import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InvalidArgumentError, type Command, type Option } from 'commander';

/** Raised for a setting that cannot be used; the message names where it came from. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type SettingSource = 'cli' | 'env' | 'config' | 'default';

/** ROP_ plus the option's long name in capitals: --pulsar-admin-url → ROP_PULSAR_ADMIN_URL. */
export const envNameOf = (option: Option): string =>
  'ROP_' + option.long!.replace(/^--(no-)?/, '').replace(/-/g, '_').toUpperCase();

/** Options that take part in layering: every long option except those that steer the layering itself. */
const layeredOptions = (program: Command, exclude: string[]): Option[] =>
  program.options.filter((o) => o.long && !exclude.includes(o.attributeName()) && o.long !== '--help' && o.long !== '--version');

/** Reads a config file: YAML (`.yaml`, `.yml`) or JSON (`.json`), one flat mapping of option names in camelCase. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid ${extname(path).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${path} must hold a mapping of settings, e.g. "port: 9876"`);
  return parsed as Record<string, unknown>;
}

function parseLayered(option: Option, raw: unknown, where: string): unknown {
  const name = option.attributeName();
  if (option.negate || option.isBoolean()) {
    const value = typeof raw === 'boolean' ? raw : raw === 'true' ? true : raw === 'false' ? false : undefined;
    if (value === undefined) throw new ConfigError(`${where}: expected true or false, got ${JSON.stringify(raw)}`);
    return value;
  }
  if (typeof raw !== 'string' && typeof raw !== 'number') throw new ConfigError(`${where}: expected a single value for ${name}, got ${JSON.stringify(raw)}`);
  try {
    return option.parseArg ? option.parseArg(String(raw), undefined) : String(raw);
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new ConfigError(`${where}: ${err.message}`);
    throw err;
  }
}

/**
 * Fills in what the command line left unset, first from ROP_* environment variables, then from the config
 * file, so that flags win over the environment and the environment over the file. Each value goes through
 * the same parser and checks as its flag.
 */
export function applyLayers(program: Command, env: NodeJS.ProcessEnv, file: { path: string; settings: Record<string, unknown> } | undefined, exclude: string[]): void {
  const options = layeredOptions(program, exclude);
  if (file) {
    const known = new Set(options.map((o) => o.attributeName()));
    const unknown = Object.keys(file.settings).filter((k) => !known.has(k));
    if (unknown.length > 0) throw new ConfigError(`${file.path}: unknown setting${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; known settings are ${[...known].join(', ')}`);
  }
  for (const option of options) {
    const key = option.attributeName();
    if (program.getOptionValueSource(key) === 'cli') continue;
    const envName = envNameOf(option);
    if (env[envName] !== undefined) {
      program.setOptionValueWithSource(key, parseLayered(option, env[envName], envName), 'env');
      continue;
    }
    const fromFile = file?.settings[key];
    if (fromFile !== undefined && fromFile !== null) program.setOptionValueWithSource(key, parseLayered(option, fromFile, `${file!.path}: ${key}`), 'config');
  }
}

/**
 * The effective settings as YAML that `--config` accepts back, each with where it came from. Unset
 * settings are listed as comments, and so are secrets that are set, without their value.
 */
export function describeLayers(program: Command, exclude: string[], secrets: string[]): string {
  const lines = ['# effective rop configuration; each line says where its value came from (cli, env, config, default)'];
  for (const option of layeredOptions(program, exclude)) {
    const key = option.attributeName();
    const value: unknown = program.getOptionValue(key);
    const source = (program.getOptionValueSource(key) ?? 'default') as SettingSource;
    const origin = source === 'env' ? `env ${envNameOf(option)}` : source;
    if (value === undefined) lines.push(`# ${key}: (unset)`);
    else if (secrets.includes(key)) lines.push(`# ${key}: (set, not shown)  # ${origin}`);
    else lines.push(`${key}: ${JSON.stringify(value)}  # ${origin}`);
  }
  return lines.join('\n') + '\n';
}
