// One classic-builder run: stages and steps in order, each step either found in the cache or
// executed (metadata in the config, RUN in a container, COPY/ADD/WORKDIR in a mounted rootfs),
// then committed as a step image (config blob + optional layer). Output follows dockerd's wire
// format: `Step i/N : ...`, ` ---> Using cache`, ` ---> <id>`, `{"aux":{"ID":...}}`.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../../errors';
import { hostPlatform } from '../../drivers/registry/manifest';
import { parseReference } from '../../drivers/registry/reference';
import { importLayer } from '../images/import';
import type { HistoryEntry, ImageConfig, ImageConfigBlob } from '../images/image-config';
import type { BuildContext } from './build-context';
import { cacheKey, type CacheEntry } from './build-cache';
import type { BuildDeps, BuildOutput, BuildRequest, StepImage } from './build-types';
import type { SourceRoot } from './copy-sources';
import { applyCopy, describeCopy, heredocSources, planCopy } from './copy-step';
import type { Instruction, ParsedDockerfile } from './dockerfile-parser';
import { parseArgDeclarations, splitStages, syntheticInstruction, type Stage } from './stages';
import { parseDockerfile } from './dockerfile-parser';
import { collectDiff, diffTar, type DiffEntry } from './layer-diff';
import { resolveInRoot } from '../containers/resolve-in-root';
import {
  applyMetadata,
  commandOf,
  defaultShell,
  envMap,
  type MetadataResult,
} from './metadata-steps';
import { runInContainer } from './run-step';
import { mountScratch } from './scratch-rootfs';
import { expandString } from './shell-words';

interface StageState {
  image: StepImage;
  shell: string[];
  /** Build args declared in this stage, with their values (undefined: declared, no value). */
  args: Map<string, string | undefined>;
  cmdSet: boolean;
}

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

export class Builder {
  private readonly stageResults = new Map<string, StepImage>();
  private readonly stageByIndex: StepImage[] = [];
  private readonly metaArgs = new Map<string, string | undefined>();
  private readonly usedArgs = new Set<string>();
  private readonly parsed: ParsedDockerfile;
  private step = 0;
  private total = 0;

  constructor(
    private readonly deps: BuildDeps,
    private readonly request: BuildRequest,
    private readonly context: BuildContext,
    dockerfile: string,
    private readonly output: BuildOutput,
    private readonly signal?: AbortSignal,
  ) {
    this.parsed = parseDockerfile(dockerfile);
  }

  private stream(text: string): void {
    if (!this.request.quiet) this.output({ stream: text });
  }

  /** Runs the build; returns the final image ID and the tags it got. */
  async run(): Promise<{ id: string; tags: string[] }> {
    const { metaArgs, stages: allStages } = splitStages(this.parsed);
    let stages = allStages;
    if (this.request.target) {
      const index = allStages.findIndex((s) => s.name === this.request.target!.toLowerCase());
      if (index < 0)
        throw new InvalidArgumentError(
          `failed to reach build target ${this.request.target} in Dockerfile`,
        );
      stages = allStages.slice(0, index + 1);
    }
    const last = stages[stages.length - 1]!;
    const labels = Object.entries(this.request.labels);
    if (labels.length > 0) {
      const text = labels.map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(' ');
      last.instructions = [...last.instructions, syntheticInstruction('LABEL', text)];
    }
    this.total = metaArgs.length + stages.reduce((n, s) => n + 1 + s.instructions.length, 0);

    for (const instruction of metaArgs) {
      this.announce(instruction);
      for (const [name, value] of parseArgDeclarations(
        instruction,
        this.metaVariables(),
        this.parsed.escape,
      )) {
        const override = this.request.buildArgs[name];
        this.metaArgs.set(name, override !== undefined && override !== null ? override : value);
        if (override !== undefined) this.usedArgs.add(name);
      }
    }

    let result: StepImage | undefined;
    for (const [index, stage] of stages.entries()) {
      result = await this.runStage(stage);
      this.stageByIndex[index] = result;
      if (stage.name) this.stageResults.set(stage.name, result);
      if (result.id) this.output({ aux: { ID: result.id } });
    }
    const final = result as StepImage;
    if (!final.id)
      throw new InvalidArgumentError('No image was generated. Is your Dockerfile empty?');

    const unused = Object.keys(this.request.buildArgs).filter((name) => !this.usedArgs.has(name));
    if (unused.length > 0)
      this.stream(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
    const tags = await this.deps.images.registerBuiltImage(
      {
        id: final.id,
        blob: JSON.stringify(final.blob),
        layers: final.layers,
        created: final.blob.created ?? new Date().toISOString(),
      },
      this.request.tags,
    );
    return { id: final.id, tags };
  }

  private metaVariables(): Map<string, string> {
    const vars = new Map<string, string>();
    for (const [name, value] of this.metaArgs) if (value !== undefined) vars.set(name, value);
    return vars;
  }

  private announce(instruction: Instruction): void {
    this.step++;
    const text = instruction.original
      .split('\n')
      .filter((line) => !/^\s*#/.test(line))
      .map((line) => line.replace(new RegExp(`\\${this.parsed.escape}\\s*$`), ''))
      .join('')
      .trim();
    this.stream(`Step ${this.step}/${this.total} : ${text}`);
    this.stream('\n');
  }

  private async runStage(stage: Stage): Promise<StepImage> {
    this.announce(stage.from);
    const baseName = expandString(
      stage.from.args.trim().split(/\s+/)[0]!,
      this.metaVariables(),
      this.parsed.escape,
    );
    const base = await this.resolveBase(baseName, stage.from);
    if (base.id) this.stream(` ---> ${short(base.id)}\n`);
    const config = base.blob.config ?? {};
    const state: StageState = {
      image: base,
      shell: config.Shell && config.Shell.length > 0 ? [...config.Shell] : [...defaultShell],
      args: new Map(),
      cmdSet: false,
    };
    const triggers = config.OnBuild ?? [];
    if (triggers.length > 0) {
      this.stream(
        `# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`,
      );
      state.image = this.withConfig(state.image, { ...config, OnBuild: null });
      for (const trigger of triggers) {
        const [instruction] = parseDockerfile(trigger).instructions;
        if (instruction) await this.dispatch(instruction, state, false);
      }
    }
    for (const instruction of stage.instructions) await this.dispatch(instruction, state, true);
    return state.image;
  }

  private withConfig(image: StepImage, config: ImageConfig): StepImage {
    return { ...image, blob: { ...image.blob, config } };
  }

  private async resolveBase(name: string, from: Instruction): Promise<StepImage> {
    if (name.toLowerCase() === 'scratch') {
      const platform = hostPlatform();
      return {
        id: '',
        blob: {
          architecture: platform.architecture,
          os: platform.os,
          config: { Env: null, Cmd: null },
          rootfs: { type: 'layers', diff_ids: [] },
          history: [],
        },
        layers: [],
      };
    }
    const stage = this.stageResults.get(name.toLowerCase());
    if (stage) return stage;
    if (name === '')
      throw new InvalidArgumentError(`Dockerfile line ${from.line}: FROM requires an image name`);
    let record;
    if (!this.request.pull) {
      try {
        record = this.deps.images.lookup(name);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
    if (!record) {
      const ref = parseReference(name);
      record = await this.deps.images.pull({
        reference: name,
        ...(this.request.platform ? { platform: this.request.platform } : {}),
        credentials: this.request.credentialsFor(ref.domain),
        ...(this.signal ? { signal: this.signal } : {}),
        onProgress: (message) => {
          if (!this.request.quiet) this.output(message);
        },
      });
    }
    const blob = await this.deps.images.config(record);
    return { id: record.id, blob, layers: record.layers };
  }

  /** Variables for expansion: the stage's build args, then ENV (ENV wins). */
  private variables(state: StageState): Map<string, string> {
    const vars = new Map<string, string>();
    for (const [name, value] of state.args) if (value !== undefined) vars.set(name, value);
    for (const [name, value] of envMap(state.image.blob.config?.Env)) vars.set(name, value);
    return vars;
  }

  /** Build args in scope that ENV does not shadow, as `KEY=value`, sorted (dockerd's order). */
  private argEnv(state: StageState): string[] {
    const env = envMap(state.image.blob.config?.Env);
    return [...state.args]
      .filter(([name, value]) => value !== undefined && !env.has(name))
      .map(([name, value]) => `${name}=${value}`)
      .sort();
  }

  private async dispatch(
    instruction: Instruction,
    state: StageState,
    announce: boolean,
  ): Promise<void> {
    this.signal?.throwIfAborted();
    if (announce) this.announce(instruction);
    const config = state.image.blob.config ?? {};
    const variables = this.variables(state);
    const escape = this.parsed.escape;
    switch (instruction.keyword) {
      case 'ARG': {
        for (const [name, value] of parseArgDeclarations(instruction, variables, escape)) {
          const override = this.request.buildArgs[name];
          const fromMeta = this.metaArgs.get(name);
          state.args.set(
            name,
            override !== undefined && override !== null ? override : (value ?? fromMeta),
          );
          if (override !== undefined) this.usedArgs.add(name);
        }
        const comment = `ARG ${instruction.args.trim()}`;
        await this.commitMetadata(state, { config, comment });
        return;
      }
      case 'RUN':
        await this.runStep(instruction, state);
        return;
      case 'COPY':
      case 'ADD':
        await this.copyStep(instruction, state, variables);
        return;
      case 'FROM':
        throw new InvalidArgumentError(
          `Dockerfile line ${instruction.line}: FROM is not allowed here`,
        );
      default: {
        const result = applyMetadata(instruction, config, {
          variables,
          escape,
          shell: state.shell,
          cmdSetInStage: state.cmdSet,
        });
        if (result.shell) state.shell = [...result.shell];
        if (result.cmdSet) state.cmdSet = true;
        if (instruction.keyword === 'WORKDIR') await this.workdirStep(state, result);
        else await this.commitMetadata(state, result);
      }
    }
  }

  private nop(state: StageState, comment: string, separate: boolean): string {
    return `${state.shell.join(' ')} #(nop) ${separate ? ' ' : ''}${comment}`;
  }

  private async commitMetadata(state: StageState, result: MetadataResult): Promise<void> {
    const createdBy = this.nop(state, result.comment, true);
    await this.commit(state, createdBy, '', async () => ({
      config: result.config,
      changes: undefined,
      ...(result.author ? { author: result.author } : {}),
    }));
  }

  /** WORKDIR creates its folder when missing; that folder is the step's layer. */
  private async workdirStep(state: StageState, result: MetadataResult): Promise<void> {
    const createdBy = this.nop(state, result.comment, false);
    const dir = result.config.WorkingDir ?? '/';
    await this.commit(state, createdBy, '', async () => {
      const target = await mountScratch(
        this.deps.overlay,
        this.deps.workRoot,
        this.layerPaths(state),
      );
      try {
        await mkdir(await resolveInRoot(target.root, dir), { recursive: true, mode: 0o755 });
        const changes = await collectDiff(target.upperDir, { lowerDirs: target.layerPaths });
        return { config: result.config, changes: await this.storeLayer(changes) };
      } finally {
        await target.release();
      }
    });
  }

  private layerPaths(state: StageState): string[] {
    return state.image.layers.map((l) => this.deps.images.deps.layers.diffPath(l.diffId));
  }

  private async runStep(instruction: Instruction, state: StageState): Promise<void> {
    const config = state.image.blob.config ?? {};
    let command = commandOf(instruction, state.shell);
    if (!instruction.json && instruction.heredocs.length > 0) {
      // The shell understands heredocs itself: hand it the whole script.
      const bodies = instruction.heredocs.map((h) => `${h.content}${h.name}\n`).join('');
      command = [...state.shell, `${instruction.args}\n${bodies}`];
    }
    for (const name of state.args.keys()) this.usedArgs.add(name);
    const argEnv = this.argEnv(state);
    const createdBy =
      (argEnv.length > 0 ? `|${argEnv.length} ${argEnv.join(' ')} ` : '') + command.join(' ');
    if (!state.image.id)
      throw new InvalidArgumentError(
        `Dockerfile line ${instruction.line}: RUN needs a base image: there is nothing to run in a scratch image without files`,
      );
    await this.commit(state, createdBy, '', async () => {
      const layer = await runInContainer(
        this.deps.images,
        this.deps.containers,
        {
          parentId: state.image.id,
          config,
          layerPaths: this.layerPaths(state),
          command,
          argEnv,
          networkMode: this.request.networkMode,
          announceRemoval: this.request.remove,
          ...(this.signal ? { signal: this.signal } : {}),
        },
        (message) => {
          if (!this.request.quiet) this.output(message);
        },
        (changes) => this.storeLayer(changes),
      );
      return { config, changes: layer, containerCmd: command };
    });
  }

  private async copyStep(
    instruction: Instruction,
    state: StageState,
    variables: Map<string, string>,
  ): Promise<void> {
    const config = state.image.blob.config ?? {};
    const plan = planCopy(instruction, variables, this.parsed.escape, config.WorkingDir ?? '/');
    const scratchDir = join(this.deps.workRoot, `h-${Math.random().toString(36).slice(2)}`);
    const releases: Array<() => Promise<void>> = [];
    try {
      let root: SourceRoot = { dir: this.context.dir, ignore: this.context.ignore };
      let sources = plan.sources;
      let fromId = '';
      const heredocs = await heredocSources(instruction, plan, scratchDir, variables);
      if (heredocs) {
        root = heredocs.root;
        sources = heredocs.sources;
      } else if (plan.from) {
        const source = await this.copySourceImage(plan.from, instruction);
        fromId = source.id;
        const view = await mountScratch(
          this.deps.overlay,
          this.deps.workRoot,
          source.layers.map((l) => this.deps.images.deps.layers.diffPath(l.diffId)),
        );
        releases.push(() => view.release());
        root = { dir: view.root };
      }
      const resolved = await describeCopy(plan, root, sources);
      const flags = [
        plan.chown ? `--chown=${plan.chown}` : '',
        plan.chmod !== undefined ? `--chmod=${plan.chmod.toString(8)}` : '',
      ].filter(Boolean);
      const keywordText = [plan.keyword, ...flags].join(' ');
      const createdBy = this.nop(
        state,
        `${keywordText} ${resolved.description} in ${plan.destWritten} `,
        false,
      );
      const inputs = JSON.stringify({ from: fromId, dest: plan.dest });
      await this.commit(state, createdBy, inputs, async () => {
        const target = await mountScratch(
          this.deps.overlay,
          this.deps.workRoot,
          this.layerPaths(state),
        );
        try {
          const changes = await applyCopy(plan, resolved, target, join(scratchDir, 'archives'));
          return { config, changes: await this.storeLayer(changes) };
        } finally {
          await target.release();
        }
      });
    } finally {
      for (const release of releases) await release();
      await rm(scratchDir, { recursive: true, force: true });
    }
  }

  /** `--from=` names an earlier stage (by name or index) or an image. */
  private async copySourceImage(from: string, instruction: Instruction): Promise<StepImage> {
    const byName = this.stageResults.get(from.toLowerCase());
    if (byName) return byName;
    if (/^\d+$/.test(from)) {
      const byIndex = this.stageByIndex[Number(from)];
      if (!byIndex)
        throw new InvalidArgumentError(
          `Dockerfile line ${instruction.line}: invalid from flag value ${from}: refers to a stage that is not built yet`,
        );
      return byIndex;
    }
    return this.resolveBase(from, instruction);
  }

  /** Imports a step's changes as a layer; an empty change set adds no layer. */
  private async storeLayer(changes: DiffEntry[] | undefined) {
    if (!changes || changes.length === 0) return undefined;
    const { blobs, layers } = this.deps.images.deps;
    return importLayer({ blobs, layers }, diffTar(changes), undefined, this.signal);
  }

  /**
   * The cache lookup and commit every step goes through. On a hit the stored step image is
   * reused (its layer checked first); otherwise `execute` does the work.
   */
  private async commit(
    state: StageState,
    createdBy: string,
    inputs: string,
    execute: () => Promise<{
      config: ImageConfig;
      changes: Awaited<ReturnType<Builder['storeLayer']>>;
      author?: string;
      containerCmd?: string[];
    }>,
  ): Promise<void> {
    const parent = state.image;
    const key = cacheKey(parent.id || 'scratch', createdBy, inputs);
    const { cache } = this.deps;
    if (!this.request.noCache) {
      const hit = cache.get(key);
      if (hit && (await this.usable(hit))) {
        cache.touch(key);
        this.stream(' ---> Using cache\n');
        state.image = {
          id: hit.id,
          blob: JSON.parse(hit.blob) as ImageConfigBlob,
          layers: hit.layers,
        };
        this.stream(` ---> ${short(hit.id)}\n`);
        return;
      }
    }
    const result = await execute();
    const created = new Date().toISOString();
    const history: HistoryEntry = { created, created_by: createdBy };
    if (!result.changes) history.empty_layer = true;
    const layers = result.changes ? [...parent.layers, result.changes] : parent.layers;
    const blob: ImageConfigBlob = {
      architecture: parent.blob.architecture,
      os: parent.blob.os,
      ...(parent.blob.variant ? { variant: parent.blob.variant } : {}),
      ...((result.author ?? parent.blob.author)
        ? { author: result.author ?? parent.blob.author }
        : {}),
      config: result.config,
      container_config: {
        ...result.config,
        Cmd: result.containerCmd ?? [
          ...state.shell,
          createdBy.slice(state.shell.join(' ').length + 1),
        ],
      },
      created,
      history: [...(parent.blob.history ?? []), history],
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    };
    const text = JSON.stringify(blob);
    const id = await this.deps.images.deps.blobs.put(text);
    const size = result.changes
      ? (await this.deps.images.deps.layers.info(result.changes.diffId)).size
      : 0;
    await cache.put({
      key,
      id,
      parent: parent.id,
      createdBy,
      blob: text,
      layers,
      ...(result.changes ? { addedLayer: result.changes.diffId } : {}),
      size,
      createdAt: created,
      lastUsedAt: created,
      usageCount: 0,
    } satisfies CacheEntry);
    state.image = { id, blob, layers };
    this.stream(` ---> ${short(id)}\n`);
  }

  /** A hit is usable only while every layer it names is still on disk. */
  private async usable(entry: CacheEntry): Promise<boolean> {
    for (const layer of entry.layers) {
      if (!(await this.deps.images.deps.layers.has(layer.diffId))) return false;
    }
    return true;
  }
}
