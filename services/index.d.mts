// Types for index.mjs, so TypeScript test setups (vitest globalSetup) can import it under `strict`.

export interface ServiceOptions {
  /** Port to use instead of the service's port variable (KAFKA_PORT) or its default. */
  port?: number
  /** Environment to read variables from and pass to the server. @default process.env */
  env?: NodeJS.ProcessEnv
}

export interface UpOptions extends ServiceOptions {
  /** How long to wait for readiness. @default CDCB_SERVICES_TIMEOUT seconds, else 90 s */
  timeoutMs?: number
  /** Receives progress lines (downloading, starting); silent by default. */
  log?: (line: string) => void
}

export interface UpResult {
  name: string
  /** host:port to connect to, e.g. '127.0.0.1:9092'. */
  address: string
  /** True only when this call started the server; stop it again only then. */
  startedByUs: boolean
  /** Null when the server is one the user runs (not started by cdcb). */
  pid: number | null
  /** Why nothing was started: 'cdcb' = an earlier up, 'external' = the user's own server. */
  reused?: 'cdcb' | 'external'
  logFile: string
  startMs?: number
}

export interface DownResult {
  name: string
  stopped: boolean
  pid: number | null
  note: string
}

export interface StatusResult {
  name: string
  state: 'running' | 'starting' | 'stopped'
  running: boolean
  startedByCdcb: boolean
  pid: number | null
  address: string
  logFile: string
  note?: string
}

/** A one-line message for a person; `exitCode` 2 = fix the environment first, 3 = the server failed. */
export declare class ServiceError extends Error {
  exitCode: number
  detail?: string
}

export declare const services: Record<string, unknown>
export declare const serviceNames: string[]

export declare function up(name: string, opts?: UpOptions): Promise<UpResult>
export declare function down(
  name: string,
  opts?: ServiceOptions & { log?: (line: string) => void },
): Promise<DownResult>
export declare function status(name: string, opts?: ServiceOptions): Promise<StatusResult>
export declare function logs(
  name: string,
  opts?: { lines?: number; env?: NodeJS.ProcessEnv },
): string | undefined

/**
 * Returns `binary` when it exists, else installs Debian package `pkg` with
 * apt-get (root only, `apt-get update` first) and returns it. Throws
 * ServiceError: exit code 2 when it cannot be installed here (the message names
 * the command), 3 when apt-get failed.
 */
export declare function ensureDebianBinary(
  binary: string,
  pkg: string,
  opts?: { log?: (line: string) => void },
): string

/** Where Debezium's Cassandra connector in the harness's Connect worker finds the harness's node (services/connect/cassandra.mjs). */
export interface CassandraConnectorFiles {
  /** The node's cassandra.yaml (the connector loads it to find commitlog and cdc_raw). */
  cassandraYaml: string
  /** The node's cdc_raw folder. */
  cdcRawDir: string
  /** The DataStax driver configuration `up connect` writes. */
  driverConfig: string
  /** Where the connector moves segments it has read. */
  relocationDir: string
  /** host:port of the node's CQL port. */
  contactPoint: string
}
export declare function cassandraConnectorFiles(env?: NodeJS.ProcessEnv): CassandraConnectorFiles
