import 'reflect-metadata';

/** What docs/configuration.md and `.env.example` say about one environment variable. */
export interface EnvDoc {
  description: string;
  /** The default as a user would write it ("" = unset). */
  default?: string;
  /** Also accepted as `<NAME>_FILE` and generated in development when missing. */
  secret?: boolean;
}

const ENV_DOCS = Symbol('env-docs');

/** Documents an environment variable where it is declared, so the docs cannot drift from the schema. */
export function Env(doc: EnvDoc): PropertyDecorator {
  return (target, key) => {
    const docs: Map<string, EnvDoc> = Reflect.getMetadata(ENV_DOCS, target) ?? new Map();
    docs.set(String(key), doc);
    Reflect.defineMetadata(ENV_DOCS, docs, target);
  };
}

export function envDocs(cls: abstract new () => object): Map<string, EnvDoc> {
  return Reflect.getMetadata(ENV_DOCS, cls.prototype) ?? new Map();
}
