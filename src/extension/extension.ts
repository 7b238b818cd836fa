import * as vscode from 'vscode';
import { CancelledError, UsageError } from '../packer/errors.js';
import { pack } from '../packer/pack.js';

/** The editor adapter: every command here calls the same library as the CLI. */
export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.commands.registerCommand('longrepo.packWorkspace', packWorkspace));
}

export function deactivate(): void {}

async function packWorkspace(): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder || folder.uri.scheme !== 'file') {
    void vscode.window.showErrorMessage('LongRepo: open a folder first; it packs the workspace folder on disk.');
    return;
  }
  const config = vscode.workspace.getConfiguration('longrepo');
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'LongRepo: packing', cancellable: true },
      async (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        let last = 0;
        return pack(folder.uri.fsPath, {
          order: config.get<string>('order', 'dependency'),
          tokenizer: config.get<string>('tokenizer', 'cl100k'),
          maxFileBytes: config.get<number>('maxFileBytes', 1024 * 1024),
          signal: controller.signal,
          onProgress: (p) => {
            const percent = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 0;
            if (p.stage === 'analyse' && percent !== last) {
              progress.report({ message: `${p.done}/${p.total} files`, increment: percent - last });
              last = percent;
            }
          },
        });
      },
    );
    const doc = await vscode.workspace.openTextDocument({ content: result.prompt, language: 'xml' });
    await vscode.window.showTextDocument(doc, { preview: false });
    const m = result.manifest;
    void vscode.window.showInformationMessage(
      `LongRepo: ${m.stats.files} files, ${m.totalTokens.toLocaleString('en-US')} ${m.tokenizer} tokens, ${m.stats.skipped} skipped.`,
    );
  } catch (error) {
    if (error instanceof CancelledError) return;
    const message = error instanceof UsageError ? error.message : `packing failed: ${(error as Error).message}`;
    void vscode.window.showErrorMessage(`LongRepo: ${message}`);
  }
}
