// The shape of a Dockerfile for the builder: meta ARGs before the first FROM, then stages (each a
// FROM and its instructions), plus the parsing of ARG declarations and synthetic instructions
// (the `labels` build parameter becomes a LABEL step at the end, as dockerd does).
import { InvalidArgumentError } from '../../errors';
import type { Instruction, ParsedDockerfile } from './dockerfile-parser';
import { expandWords } from './shell-words';

export interface Stage {
  name?: string;
  from: Instruction;
  instructions: Instruction[];
}

export function splitStages(parsed: ParsedDockerfile): {
  metaArgs: Instruction[];
  stages: Stage[];
} {
  const metaArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const instruction of parsed.instructions) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.trim().split(/\s+/);
      const name =
        words.length === 3 && words[1]!.toUpperCase() === 'AS'
          ? words[2]!.toLowerCase()
          : undefined;
      if (words.length !== 1 && !name)
        throw new InvalidArgumentError(
          `Dockerfile line ${instruction.line}: FROM requires either one or three arguments`,
        );
      stages.push({ ...(name ? { name } : {}), from: instruction, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG')
        throw new InvalidArgumentError(
          `Dockerfile line ${instruction.line}: no build stage in current context: ${instruction.keyword} comes before the first FROM`,
        );
      metaArgs.push(instruction);
    } else {
      stages[stages.length - 1]!.instructions.push(instruction);
    }
  }
  if (stages.length === 0)
    throw new InvalidArgumentError('Dockerfile contains no FROM instruction');
  return { metaArgs, stages };
}

/** `ARG A=1 B` → [['A','1'], ['B', undefined]]. */
export function parseArgDeclarations(
  instruction: Instruction,
  variables: ReadonlyMap<string, string>,
  escape: string,
): Array<[string, string | undefined, string]> {
  const words = expandWords(instruction.args, variables, escape);
  if (words.length === 0)
    throw new InvalidArgumentError(
      `Dockerfile line ${instruction.line}: ARG requires at least one argument`,
    );
  const raw = instruction.args.trim().split(/\s+/);
  return words.map((word, index) => {
    const eq = word.indexOf('=');
    const name = eq < 0 ? word : word.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new InvalidArgumentError(
        `Dockerfile line ${instruction.line}: invalid ARG name ${JSON.stringify(name)}`,
      );
    return [name, eq < 0 ? undefined : word.slice(eq + 1), raw[index] ?? word];
  });
}

export function syntheticInstruction(keyword: string, args: string): Instruction {
  return {
    keyword,
    rest: args,
    flags: {},
    args,
    json: undefined,
    heredocs: [],
    line: 0,
    original: `${keyword} ${args}`,
  };
}
