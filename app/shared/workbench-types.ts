// Data types of the container workbench (issue 8): terminal sessions, log batches, stats samples,
// the structured inspect summary and the "under the hood" isolation report.

export interface TerminalSessionInfo {
  id: string;
  containerId: string;
  command: string[];
  user: string;
  workdir: string;
  createdAt: number;
  /** Set once the process ended. */
  exitCode?: number;
  exited: boolean;
}

export type TerminalEvent =
  { kind: 'data'; data: string } | { kind: 'exit'; exitCode: number | null; reason?: string };

export type LogStream = 'stdout' | 'stderr';

/** One log line: the engine's RFC 3339 timestamp (always requested) and the text, ANSI kept. */
export interface LogLine {
  stream: LogStream;
  time: string;
  text: string;
  /** Merged project logs: the name of the container that printed the line. */
  source?: string;
}

export interface LogBatch {
  lines: LogLine[];
}

export interface StatsSample {
  /** ms since epoch, from the engine's `read` field. */
  time: number;
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  netRxBytes: number;
  netTxBytes: number;
  blockReadBytes: number;
  blockWriteBytes: number;
  pids: number;
}

export type RiskLevel = 'high' | 'medium' | 'low';

export interface RiskFinding {
  id: string;
  level: RiskLevel;
  title: string;
  detail: string;
}

export interface InspectSummary {
  id: string;
  name: string;
  image: string;
  imageId: string;
  command: string[];
  entrypoint: string[];
  workdir: string;
  user: string;
  env: { name: string; value: string; masked: boolean }[];
  mounts: { type: string; source: string; destination: string; readOnly: boolean }[];
  networks: { name: string; ipAddress: string; gateway: string; macAddress: string }[];
  ports: { container: string; host: string }[];
  restartPolicy: string;
  restartCount: number;
  health?: {
    status: string;
    failingStreak: number;
    log: { start: string; exitCode: number; output: string }[];
  };
  state: {
    status: string;
    running: boolean;
    exitCode: number;
    oomKilled: boolean;
    error: string;
    startedAt: string;
    finishedAt: string;
  };
}

export interface ExitForensics {
  exitCode: number;
  meaning: string;
  oomKilled: boolean;
  restartCount: number;
  finishedAt: string;
  error: string;
  lastLogLines: string[];
}

export interface ContainerInspection {
  summary: InspectSummary;
  /** The engine's inspect document, with secret-looking env values masked. */
  raw: unknown;
  risks: RiskFinding[];
  forensics?: ExitForensics;
}

export interface IsolationItem {
  label: string;
  value: string;
  explanation: string;
  flagged?: boolean;
}

export interface IsolationSection {
  title: string;
  items: IsolationItem[];
}

export interface IsolationReport {
  sections: IsolationSection[];
  capabilities: { effective: string[]; source: 'proc' | 'config'; note?: string };
  risks: RiskFinding[];
}

/** One entry of a directory inside a container (read through the archive API). */
export interface ContainerFileEntry {
  /** Absolute path inside the container. */
  path: string;
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  mode: number;
  /** Unix seconds. */
  modified: number;
  linkTarget?: string;
}

export interface ContainerDirectory {
  path: string;
  entries: ContainerFileEntry[];
  /** More entries than the listing returns; the rest are left out. */
  truncated: boolean;
}

export interface ContainerFileContent {
  name: string;
  size: number;
  /** The file's bytes, base64 (the contract carries JSON). */
  contentBase64: string;
}
