/**
 * Engine-level services a block may need (a model runtime, a sandbox pool, …), created once
 * and shared by every step — and, when the caller passes one `Services` to several engines
 * (HTTP sessions, pipelines), by every engine. The engine itself knows none of them.
 */

export interface ServiceKey<T> {
  readonly id: string;
  create(services: Services): T;
}

export function serviceKey<T>(id: string, create: (services: Services) => T): ServiceKey<T> {
  return { id, create };
}

interface Closable {
  close(): unknown;
}

function isClosable(value: unknown): value is Closable {
  return typeof value === "object" && value !== null && typeof (value as Closable).close === "function";
}

export class Services {
  private readonly instances = new Map<string, unknown>();

  /** `settings` carries configuration the services read when they are created (e.g. model folders). */
  constructor(readonly settings: Readonly<Record<string, unknown>> = {}) {}

  get<T>(key: ServiceKey<T>): T {
    if (!this.instances.has(key.id)) this.instances.set(key.id, key.create(this));
    return this.instances.get(key.id) as T;
  }

  /** Installs a ready instance (tests, or a runtime configured by the caller). */
  provide<T>(key: ServiceKey<T>, instance: T): this {
    this.instances.set(key.id, instance);
    return this;
  }

  async close(): Promise<void> {
    const instances = [...this.instances.values()];
    this.instances.clear();
    await Promise.all(instances.filter(isClosable).map((instance) => instance.close()));
  }
}
