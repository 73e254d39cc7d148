/**
 * Momento's way of constructing a client, accepted as is so that Momento code ports by
 * changing only its import: `new TopicClient({ configuration: TopicConfigurations.Default.latest(),
 * credentialProvider: CredentialProvider.fromEnvironmentVariable({ environmentVariableName }) })`.
 */

/** Where a credential provider may point the client instead of `TOPIC_WEBHOOKS_ENDPOINT`, as in Momento's SDK. */
export interface EndpointOverrides {
  /** The service's base URL (the stack output `ApiUrl`, or `http://127.0.0.1:8080` in local mode). */
  baseEndpoint: string;
}

/** Options both factories of {@link CredentialProvider} take beside the key. */
export interface CredentialProviderOptions {
  endpointOverrides?: EndpointOverrides;
}

/** Input of {@link CredentialProvider.fromString}: the key itself (or just the key as a string). */
export interface StringCredentialProviderProps extends CredentialProviderOptions {
  apiKey: string;
}

/** Input of {@link CredentialProvider.fromEnvironmentVariable}: the variable's name (or just the name as a string). */
export interface EnvironmentVariableCredentialProviderProps extends CredentialProviderOptions {
  environmentVariableName: string;
}

/**
 * An API key of this service, and optionally the endpoint, for the `credentialProvider`
 * client option. The key is held privately: it is in no enumerable field, `toString` or JSON.
 */
export class CredentialProvider {
  readonly #apiKey: string;
  readonly #baseEndpoint: string | undefined;

  private constructor(apiKey: string, options: CredentialProviderOptions | undefined) {
    if (typeof apiKey !== 'string' || apiKey.trim() === '') throw new TypeError('apiKey must be a non-empty string');
    this.#apiKey = apiKey;
    this.#baseEndpoint = options?.endpointOverrides?.baseEndpoint;
  }

  /** The key given in code: `CredentialProvider.fromString({ apiKey })`. */
  static fromString(props: StringCredentialProviderProps | string): CredentialProvider {
    return typeof props === 'string' ? new CredentialProvider(props, undefined) : new CredentialProvider(props?.apiKey, props);
  }

  /**
   * The key read, now, from an environment variable:
   * `CredentialProvider.fromEnvironmentVariable({ environmentVariableName: 'TOPIC_WEBHOOKS_API_KEY' })`.
   * Throws a `TypeError` naming the variable (never its value) when it is unset or empty.
   */
  static fromEnvironmentVariable(props: EnvironmentVariableCredentialProviderProps | string): CredentialProvider {
    const name = typeof props === 'string' ? props : props?.environmentVariableName;
    if (typeof name !== 'string' || name === '') throw new TypeError('environmentVariableName must be a non-empty string');
    const apiKey = process.env[name];
    if (apiKey === undefined || apiKey.trim() === '') throw new TypeError(`the environment variable ${name} is not set`);
    return new CredentialProvider(apiKey, typeof props === 'string' ? undefined : props);
  }

  /** The API key (Momento's name for it). */
  getAuthToken(): string {
    return this.#apiKey;
  }

  /** `endpointOverrides.baseEndpoint`, when given. */
  getBaseEndpoint(): string | undefined {
    return this.#baseEndpoint;
  }

  toString(): string {
    return 'CredentialProvider';
  }
}

/**
 * Momento's client configuration, accepted for its construction. It carries no settings here:
 * this client's are the `requestTimeoutMs` and `retry` client options.
 */
export class TopicConfiguration {
  toString(): string {
    return 'TopicConfiguration';
  }
}

const DEFAULT_CONFIGURATION = new TopicConfiguration();

/** The configurations of Momento's `TopicConfigurations`, all the same one here. */
export const TopicConfigurations = {
  Default: {
    latest: (): TopicConfiguration => DEFAULT_CONFIGURATION,
    v1: (): TopicConfiguration => DEFAULT_CONFIGURATION,
  },
} as const;
