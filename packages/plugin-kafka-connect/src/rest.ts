/**
 * The few Kafka Connect REST calls the plugin needs, with errors that name the
 * worker and the connector. Connector configs may hold passwords: they are
 * sent, never echoed into a message.
 */
import { CdcbError, describeError } from '@cdcb/core'

/** `GET /connectors/{name}/status`. */
export interface ConnectorStatus {
  readonly name: string
  readonly connector: { readonly state: string; readonly trace?: string }
  readonly tasks: ReadonlyArray<{ readonly id: number; readonly state: string; readonly trace?: string }>
}

export class ConnectRest {
  /** The worker's address without credentials: what every message names. */
  readonly url: string
  /** `Authorization` for a worker behind Connect's basic-auth REST extension, from the URL's user:password. */
  private readonly authorization: string | undefined

  /** `url` may carry `user:password@` (fetch refuses such a URL): sent as basic auth, never printed. */
  constructor(
    url: string,
    private readonly timeoutMs = 30_000,
  ) {
    const parsed = new URL(url)
    this.authorization =
      parsed.username || parsed.password
        ? `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`
        : undefined
    parsed.username = ''
    parsed.password = ''
    this.url = parsed.toString().replace(/\/+$/, '')
  }

  /** Names of the connectors the cluster runs. */
  async list(): Promise<string[]> {
    return (await this.call('GET', '/connectors')) as string[]
  }

  /** Every connector with its configuration (`GET /connectors?expand=info`), by name. */
  async listWithConfigs(): Promise<Map<string, Record<string, string>>> {
    const expanded = (await this.call('GET', '/connectors?expand=info')) as Record<
      string,
      { info?: { config?: Record<string, string> } }
    >
    return new Map(Object.entries(expanded).map(([name, entry]) => [name, entry.info?.config ?? {}]))
  }

  /** The connector's status, or undefined when the cluster has no connector of that name. */
  async status(name: string): Promise<ConnectorStatus | undefined> {
    return (await this.call('GET', `/connectors/${encodeURIComponent(name)}/status`, undefined, true)) as
      | ConnectorStatus
      | undefined
  }

  /**
   * The topics the connector has used since it was registered (KIP-558,
   * `GET /connectors/{name}/topics`), or undefined when the cluster has no
   * connector of that name. Fails when the worker tracks no topics
   * (`topic.tracking.enable=false`).
   */
  async topics(name: string): Promise<string[] | undefined> {
    const answer = (await this.call(
      'GET',
      `/connectors/${encodeURIComponent(name)}/topics`,
      undefined,
      true,
    )) as Record<string, { topics?: string[] }> | undefined
    return answer ? (answer[name]?.topics ?? []) : undefined
  }

  async create(name: string, config: Record<string, string>): Promise<void> {
    await this.call('POST', '/connectors', { name, config })
  }

  /** Deletes the connector; true when it existed. */
  async remove(name: string): Promise<boolean> {
    return (
      (await this.call('DELETE', `/connectors/${encodeURIComponent(name)}`, undefined, true)) !== undefined
    )
  }

  async pause(name: string): Promise<void> {
    await this.call('PUT', `/connectors/${encodeURIComponent(name)}/pause`)
  }

  async resume(name: string): Promise<void> {
    await this.call('PUT', `/connectors/${encodeURIComponent(name)}/resume`)
  }

  async restartTask(name: string, task: number): Promise<void> {
    await this.call('POST', `/connectors/${encodeURIComponent(name)}/tasks/${task}/restart`)
  }

  /** One request; a 404 resolves undefined when `missingOk`, any other failure throws a one-line CdcbError. */
  private async call(method: string, path: string, body?: unknown, missingOk = false): Promise<unknown> {
    let response: Response
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.authorization ? { authorization: this.authorization } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      })
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? describeError(error)
      throw new CdcbError(
        `Kafka Connect at ${this.url} does not answer (${cause}); start it (npm run services -- up kafka connect) or set the plugin's url`,
        3,
      )
    }
    const text = await response.text()
    if (response.status === 404 && missingOk) return undefined
    if (!response.ok) {
      let message = text
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text
      } catch {}
      throw new CdcbError(
        `Kafka Connect ${method} ${path}: HTTP ${response.status}: ${message.split('\n')[0]}`,
        3,
      )
    }
    return text ? JSON.parse(text) : null
  }
}

/** The first line of a Java stack trace: the exception and its message, which is what a user acts on. */
export function firstTraceLine(trace: string | undefined): string {
  return trace?.split('\n')[0]?.trim() || '(no trace given)'
}
