import path from 'node:path';
import { PROJECT_ROOT } from '../project-root.ts';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTION_BASE_ENVIRONMENT, FUNCTION_CONSTRUCT_DEFAULTS, type FunctionArchitecture } from '../defaults.ts';

export interface ServiceFunctionProps {
  /** The operation's file name without extension: the entry is `functions/<name>.ts`, exporting `handler`. */
  readonly name: string;
  /** @default FUNCTION_CONSTRUCT_DEFAULTS.memorySizeMb */
  readonly memorySizeMb?: number;
  /** @default FUNCTION_CONSTRUCT_DEFAULTS.timeoutSeconds */
  readonly timeoutSeconds?: number;
  /** @default 'arm64' */
  readonly architecture?: FunctionArchitecture;
  /** @default FUNCTION_CONSTRUCT_DEFAULTS.logRetentionDays */
  readonly logRetentionDays?: number;
  /** Merged over `FUNCTION_BASE_ENVIRONMENT`; the caller's keys win. */
  readonly environment?: Readonly<Record<string, string>>;
  readonly description?: string;
}

/**
 * The house Lambda function (STYLE.md `infra/`): a `NodejsFunction` bundled by the locally
 * installed esbuild (never Docker) as minified ESM with source maps, on Node 22, arm64 by
 * default, with its own log group and retention (no log-retention custom resource) and its own
 * role holding nothing but the right to write that log group. Everything else it may touch is
 * granted through `bind`.
 */
export class ServiceFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;
  /** The operation's name (`put-webhook`). */
  readonly name: string;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const d = FUNCTION_CONSTRUCT_DEFAULTS;
    this.name = props.name;

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: (props.logRetentionDays ?? d.logRetentionDays) as RetentionDays,
      // Retention bounds the logs; deleting the stack should not leave orphaned groups behind.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // An explicit role instead of AWSLambdaBasicExecutionRole: that managed policy may create and
    // write any log group in the account, this one writes only its own.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `topic-webhooks ${props.name}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, 'functions', `${props.name}.ts`),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: d.runtime,
      architecture: (props.architecture ?? d.architecture) === 'arm64' ? Architecture.ARM_64 : Architecture.X86_64,
      memorySize: props.memorySizeMb ?? d.memorySizeMb,
      timeout: Duration.seconds(props.timeoutSeconds ?? d.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      description: props.description ?? `topic-webhooks ${props.name}`,
      environment: { ...FUNCTION_BASE_ENVIRONMENT, ...props.environment },
      bundling: d.bundling,
    });
    // The policy must exist before the function runs (first invocations at deploy time, e.g. ESM).
    this.function.node.addDependency(this.role);
  }

  /**
   * Bind-and-grant: merges `binding.environment` into the function's environment (existing keys
   * are replaced, others kept) and adds each statement to the function's role.
   */
  bind(binding: Binding): this {
    for (const [key, value] of Object.entries(binding.environment ?? {})) this.function.addEnvironment(key, value);
    for (const statement of binding.statements ?? []) this.role.addToPrincipalPolicy(statement);
    return this;
  }
}

/** What a function is given to use a resource: where it is, and the right to use it. */
export interface Binding {
  readonly environment?: Readonly<Record<string, string>>;
  readonly statements?: readonly PolicyStatement[];
}

/** DynamoDB actions the service's functions use. */
export type DynamoDbAction = 'GetItem' | 'BatchGetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'BatchWriteItem' | 'Query';

/** One grant on the table or one of its indexes. */
export interface TableGrant {
  readonly actions: readonly DynamoDbAction[];
  /** An index name: the grant covers that index only. @default the table itself */
  readonly index?: string;
  /**
   * Partition-key prefixes (`APIKEY#`) the grant is limited to, through `dynamodb:LeadingKeys`.
   * @default no limit
   */
  readonly leadingKeyPrefixes?: readonly string[];
}

/**
 * A binding to the single table: `TABLE_NAME`, plus one statement per grant, each on the table
 * ARN or one index ARN (never `index/*`), never `dynamodb:*`. An empty grant list still sets
 * `TABLE_NAME`, which every function's configuration requires.
 */
export function tableBinding(table: ITable, grants: readonly TableGrant[]): Binding {
  return {
    environment: { TABLE_NAME: table.tableName },
    statements: grants.map(
      (grant) =>
        new PolicyStatement({
          actions: grant.actions.map((a) => `dynamodb:${a}`),
          resources: [grant.index ? `${table.tableArn}/index/${grant.index}` : table.tableArn],
          conditions: grant.leadingKeyPrefixes
            ? { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': grant.leadingKeyPrefixes.map((p) => `${p}*`) } }
            : undefined,
        }),
    ),
  };
}

/** A binding that lets a function send to a queue: `QUEUE_URL` and `sqs:SendMessage` (SendMessageBatch uses it). */
export function queueSendBinding(queue: IQueue): Binding {
  return {
    environment: { QUEUE_URL: queue.queueUrl },
    statements: [new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] })],
  };
}
