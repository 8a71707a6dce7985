/**
 * A concern is one part of the configuration (the Temporal connection, storage, the gateway...):
 * the environment variables it owns, each described for the configuration reference, and the
 * function that turns their parsed values into the typed options the code uses. A process loads the
 * concerns it uses (see index.ts) and nothing else.
 */
import type { z } from 'zod';
import { ConfigError, ConfigProblem } from './env';

type Shape = Record<string, z.ZodType>;
/** The parsed values of a concern's variables, by name. */
export type Parsed<S extends Shape> = { [K in keyof S]: z.output<S[K]> };

export interface Concern<Variables extends Shape = Shape, Reads extends Shape = Shape, Options = unknown> {
  /** Its name in the configuration reference. */
  title: string;
  /** The variables it owns. */
  variables: Variables;
  /** Variables owned by another concern that this one's defaults or checks depend on. */
  reads: Reads;
  /** The typed options; refuses (ConfigProblem, naming the variable) values that parse but are wrong together. */
  options(values: Parsed<Variables & Reads>): Options;
}

export function defineConcern<Variables extends Shape, Options, Reads extends Shape = {}>(concern: {
  title: string;
  variables: Variables;
  reads?: Reads;
  options(values: Parsed<Variables & Reads>): Options;
}): Concern<Variables, Reads, Options> {
  return { ...concern, reads: concern.reads ?? ({} as Reads) };
}

type AnyConcern = Concern<any, any, any>;
type OptionsOf<C> = C extends Concern<Shape, Shape, infer O> ? O : never;
type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
/** What loading these concerns gives: every concern's options side by side. */
export type OptionsOfAll<Cs extends readonly AnyConcern[]> = Intersection<OptionsOf<Cs[number]>>;

/**
 * Parses each variable the concerns own or read, then builds each concern whose variables all
 * parsed. Every problem (a bad value, or values wrong together) is gathered into one ConfigError,
 * each naming its variable, so that one start-up shows everything to fix.
 */
export function loadConcerns<const Cs extends readonly AnyConcern[]>(env: NodeJS.ProcessEnv, concerns: Cs): OptionsOfAll<Cs> {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  const invalid = new Set<string>();
  const schemas = new Map<string, z.ZodType>(concerns.flatMap((c) => [...Object.entries(c.variables), ...Object.entries(c.reads)]) as [string, z.ZodType][]);
  for (const [name, schema] of schemas) {
    const parsed = schema.safeParse(env[name]);
    if (parsed.success) {
      values[name] = parsed.data;
    } else {
      invalid.add(name);
      problems.push(...parsed.error.issues.map((issue) => `${[name, ...issue.path].join('.')}: ${issue.message}`));
    }
  }
  const options: Record<string, unknown> = {};
  for (const concern of concerns) {
    if ([...Object.keys(concern.variables), ...Object.keys(concern.reads)].some((name) => invalid.has(name))) continue;
    try {
      Object.assign(options, concern.options(values));
    } catch (err) {
      if (!(err instanceof ConfigProblem)) throw err;
      problems.push(err.message);
    }
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  return options as OptionsOfAll<Cs>;
}

/** A rule over variables that different concerns own: it builds nothing, it only refuses. */
export function defineCheck<Reads extends Shape>(title: string, reads: Reads, check: (values: Parsed<Reads>) => void): Concern<{}, Reads, {}> {
  return {
    title,
    variables: {},
    reads,
    options: (values) => {
      check(values);
      return {};
    },
  };
}
