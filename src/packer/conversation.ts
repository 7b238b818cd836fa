import { pack, type PackOptions, type PackResult } from './pack.js';

/**
 * The packs of one conversation about a repository. A repository that fits the budget packs the same for any
 * question. One that does not is fitted for the first question, and follow-up questions reuse that pack, so
 * the prompt prefix stays byte-identical and the model server's prefix cache keeps working — unless the caller
 * asks to re-pack (say, when a follow-up is about another part of the repository).
 */
export class RepositoryConversation {
  private first: PackResult | undefined;

  constructor(private readonly root: string, private readonly options: Omit<PackOptions, 'question'> = {}) {}

  /** The pack for `question`: the conversation's first pack unless `repack` is set (then it becomes the new first). */
  async packFor(question: string, { repack = false, signal }: { repack?: boolean; signal?: AbortSignal } = {}): Promise<PackResult> {
    if (this.first && !repack) return this.first;
    this.first = await pack(this.root, { ...this.options, question, signal: signal ?? this.options.signal });
    return this.first;
  }

  /** The pack the conversation holds, if any. */
  get current(): PackResult | undefined {
    return this.first;
  }
}
