import { describe, expect, it } from 'vitest';
import {
  exitCodeMeaning,
  forensics,
  maskedDocument,
  maskEnv,
  riskFindings,
  summarize,
  type InspectDocument,
} from './container-report';

const safe: InspectDocument = {
  Id: 'abc',
  Name: '/web',
  Config: { Image: 'nginx:1.25', User: 'nginx', Env: ['PATH=/usr/bin'] },
  HostConfig: { Memory: 256 * 1024 * 1024, NetworkMode: 'bridge' },
  Mounts: [],
};

const ids = (document: InspectDocument) => riskFindings(document).map((risk) => risk.id);

describe('riskFindings', () => {
  it('finds nothing in a careful configuration', () => {
    expect(ids(safe)).toEqual([]);
  });

  it('flags each risky setting in plain words', () => {
    const risky: InspectDocument = {
      Config: { Image: 'app', User: '', Env: ['DB_PASSWORD=hunter2', 'API_TOKEN=abc'] },
      HostConfig: { Privileged: true, NetworkMode: 'host', PidMode: 'host', CapAdd: ['SYS_ADMIN'] },
      Mounts: [
        { Type: 'bind', Source: '/var/run/docker.sock', Destination: '/var/run/docker.sock' },
      ],
    };
    expect(ids(risky).sort()).toEqual(
      [
        'cap-sys-admin',
        'engine-socket',
        'env-secrets',
        'host-network',
        'host-pid',
        'latest-tag',
        'no-memory-limit',
        'privileged',
        'root-user',
      ].sort(),
    );
    const secrets = riskFindings(risky).find((risk) => risk.id === 'env-secrets');
    expect(secrets?.detail).toContain('DB_PASSWORD, API_TOKEN');
    expect(secrets?.detail).not.toContain('hunter2');
  });

  it('treats an explicit :latest and a registry port correctly', () => {
    const image = (ref: string) => ids({ ...safe, Config: { ...safe.Config, Image: ref } });
    expect(image('reg:5000/app:latest')).toContain('latest-tag');
    expect(image('reg:5000/app')).toContain('latest-tag');
    expect(image('reg:5000/app:2')).not.toContain('latest-tag');
    expect(image('app@sha256:abcd')).not.toContain('latest-tag');
  });
});

describe('masking', () => {
  it('masks secret-looking env values in the summary and the raw document', () => {
    expect(maskEnv(['SECRET_KEY=s3', 'HOME=/root', 'EMPTY_TOKEN='])).toEqual([
      { name: 'SECRET_KEY', value: '••••••••', masked: true },
      { name: 'HOME', value: '/root', masked: false },
      { name: 'EMPTY_TOKEN', value: '', masked: false },
    ]);
    const document = { ...safe, Config: { ...safe.Config, Env: ['AWS_SECRET_ACCESS_KEY=x'] } };
    expect(JSON.stringify(maskedDocument(document))).not.toContain('=x');
    expect(document.Config.Env).toEqual(['AWS_SECRET_ACCESS_KEY=x']);
  });
});

describe('summary and forensics', () => {
  it('summarizes ports, networks and restart policy', () => {
    const summary = summarize({
      ...safe,
      HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } },
      NetworkSettings: {
        Networks: { app: { IPAddress: '10.0.0.2', Gateway: '10.0.0.1' } },
        Ports: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '443/tcp': null },
      },
    });
    expect(summary.name).toBe('web');
    expect(summary.restartPolicy).toBe('on-failure:3');
    expect(summary.ports).toEqual([
      { container: '80/tcp', host: '127.0.0.1:8080' },
      { container: '443/tcp', host: '' },
    ]);
    expect(summary.networks[0]).toMatchObject({ name: 'app', ipAddress: '10.0.0.2' });
  });

  it('explains exit codes', () => {
    expect(exitCodeMeaning(137)).toMatch(/signal 9: SIGKILL/);
    expect(exitCodeMeaning(137, true)).toMatch(/out of memory/);
    expect(exitCodeMeaning(127)).toMatch(/not found/);
    expect(exitCodeMeaning(0)).toMatch(/success/);
    const report = forensics(
      { State: { ExitCode: 143, OOMKilled: false, FinishedAt: 't' }, RestartCount: 2 },
      ['bye'],
    );
    expect(report).toMatchObject({ exitCode: 143, restartCount: 2, lastLogLines: ['bye'] });
    expect(report.meaning).toMatch(/SIGTERM/);
  });
});
