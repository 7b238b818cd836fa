import { basename } from 'node:path';
import * as vscode from 'vscode';
import { RepositoryChat } from '../answer/ask.js';
import { createBackend } from '../model/index.js';
import { DEFAULT_LOCAL_MODEL, DEFAULT_LOCAL_WINDOW } from '../model/onnx/defaultModel.js';
import { downloadModel, isModelComplete, modelDir } from '../model/onnx/download.js';
import type { ChatBackend } from '../model/types.js';
import { CancelledError, UsageError } from '../packer/errors.js';
import type { Manifest } from '../packer/manifest.js';
import { pack } from '../packer/pack.js';
import type { ExtensionToWebview, TurnView, WebviewToExtension } from '../protocol.js';
import { registerChatParticipant } from './chatParticipant.js';
import { ContextView } from './contextView.js';
import { citedLines, openCitation } from './editor.js';
import { ChatSession } from './session.js';
import { inEditorTerms, packOptionsOf, readSettings, secretKey, type ExtensionSettings } from './settings.js';
import { VscodeLmBackend } from './vscodeLm.js';
import { webviewHtml } from './webviewHtml.js';

const VIEW_ID = 'longrepo.chat';

/** The editor adapter: the panel, the Context view, commands and the status bar, over the same library as the CLI. */
export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  const output = vscode.window.createOutputChannel('LongRepo');
  const contextView = new ContextView();
  const status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  status.command = 'longrepo.ask';
  const panel = new Panel(context, contextView, status, output);
  const watcher = vscode.workspace.createFileSystemWatcher('**/*');
  const changed = (): void => panel.filesChanged();
  context.subscriptions.push(
    output, status, watcher, watcher.onDidChange(changed), watcher.onDidCreate(changed), watcher.onDidDelete(changed),
    vscode.window.registerWebviewViewProvider(VIEW_ID, panel),
    vscode.window.registerTreeDataProvider('longrepo.context', contextView),
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('longrepo') && panel.settingsChanged()),
    vscode.commands.registerCommand('longrepo.ask', () => panel.reveal()),
    vscode.commands.registerCommand('longrepo.askAboutFile', (uri?: vscode.Uri) => panel.askAbout(uri, false)),
    vscode.commands.registerCommand('longrepo.askAboutSelection', () => panel.askAbout(undefined, true)),
    vscode.commands.registerCommand('longrepo.newConversation', () => panel.newConversation()),
    vscode.commands.registerCommand('longrepo.exportConversation', () => panel.exportConversation()),
    vscode.commands.registerCommand('longrepo.setApiKey', () => panel.setApiKey()),
    vscode.commands.registerCommand('longrepo.clearApiKey', () => panel.clearApiKey()),
    vscode.commands.registerCommand('longrepo.downloadModel', () => panel.downloadDefaultModel()),
    vscode.commands.registerCommand('longrepo.packWorkspace', () => packWorkspace()),
    { dispose: () => void panel.dispose() },
  );
  registerChatParticipant(context);
  output.appendLine(`LongRepo activated in ${(performance.now() - started).toFixed(1)} ms`);
}

export function deactivate(): void {}

/** The panel's host side: one conversation per workspace folder, the chat it talks through, and the messages. */
class Panel implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private readonly sessions = new Map<string, ChatSession>();
  private chats = new Map<string, Promise<RepositoryChat>>();
  private folderPath: string | undefined;
  private stale = false;
  private trustConfirmed = false;
  private pendingPrefill: string | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext, private readonly contextView: ContextView,
    private readonly status: vscode.StatusBarItem, private readonly output: vscode.OutputChannel,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'dist'), vscode.Uri.joinPath(this.context.extensionUri, 'media')] };
    view.webview.html = webviewHtml(view.webview, this.context.extensionUri);
    view.webview.onDidReceiveMessage((message: WebviewToExtension) => void this.receive(message));
    view.onDidDispose(() => {
      if (this.view === view) this.view = undefined;
    });
  }

  async reveal(): Promise<void> {
    await vscode.commands.executeCommand(`${VIEW_ID}.focus`);
  }

  /** "Ask about this file/selection": the path (and the selected lines) go into the question, so the file comes in full. */
  async askAbout(uri: vscode.Uri | undefined, selection: boolean): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const target = uri ?? editor?.document.uri;
    const folder = target && vscode.workspace.getWorkspaceFolder(target);
    if (!target || !folder) {
      void vscode.window.showWarningMessage('LongRepo: open a file of the workspace first.');
      return;
    }
    const path = vscode.workspace.asRelativePath(target, false);
    let text = `About \`${path}\`: `;
    if (selection && editor && !editor.selection.isEmpty) {
      const { start, end } = editor.selection;
      const lines = editor.document.getText(editor.selection).split('\n').slice(0, 60).join('\n');
      text = `About \`${path}\` lines ${start.line + 1}–${end.line + 1}:\n\`\`\`\n${lines}\n\`\`\`\n`;
    }
    this.folderPath = folder.uri.fsPath;
    this.pendingPrefill = text;
    await this.reveal();
    this.flushPrefill();
  }

  session(): ChatSession | undefined {
    return this.folderPath ? this.sessionFor(this.folderPath) : undefined;
  }

  /** Forgets the conversation (the panel's turns and the model's history); the next question starts afresh. */
  async newConversation(): Promise<void> {
    this.session()?.clear();
    const chat = this.folderPath ? this.chats.get(this.folderPath) : undefined;
    await chat?.then((c) => c.reset()).catch(() => {});
  }

  filesChanged(): void {
    this.stale = true;
  }

  settingsChanged(): void {
    void this.closeChats();
  }

  async dispose(): Promise<void> {
    await this.closeChats();
  }

  async exportConversation(): Promise<void> {
    const session = this.session();
    if (!session) return;
    const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: session.toMarkdown() });
    await vscode.window.showTextDocument(document, { preview: false });
  }

  async setApiKey(): Promise<void> {
    const provider = this.remoteProvider(readSettings(vscode.workspace.getConfiguration('longrepo')));
    const key = await vscode.window.showInputBox({
      title: `LongRepo: API key for ${provider === 'anthropic' ? 'Anthropic' : 'the OpenAI-compatible endpoint'}`,
      prompt: 'Kept in VS Code\'s secret storage, never in settings or logs.', password: true, ignoreFocusOut: true,
    });
    if (!key) return;
    await this.context.secrets.store(secretKey(provider), key.trim());
    await this.closeChats();
    void vscode.window.showInformationMessage('LongRepo: API key saved in the secret storage.');
  }

  async clearApiKey(): Promise<void> {
    for (const provider of ['openai', 'anthropic']) await this.context.secrets.delete(secretKey(provider));
    await this.closeChats();
    void vscode.window.showInformationMessage('LongRepo: API keys removed from the secret storage.');
  }

  async downloadDefaultModel(): Promise<boolean> {
    const { id, dtype } = DEFAULT_LOCAL_MODEL;
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `LongRepo: downloading ${id}`, cancellable: true },
        async (progress, token) => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          let reported = 0;
          await downloadModel(id, {
            dtype, signal: controller.signal,
            onProgress: (p) => {
              const percent = p.total > 0 ? Math.floor((100 * p.bytes) / p.total) : 0;
              if (percent > reported) {
                progress.report({ increment: percent - reported, message: `${(p.bytes / 1e6).toFixed(0)} of ${(p.total / 1e6).toFixed(0)} MB` });
                reported = percent;
              }
            },
          });
        },
      );
      return true;
    } catch (error) {
      if (!(error instanceof CancelledError)) void vscode.window.showErrorMessage(`LongRepo: ${(error as Error).message}`);
      return false;
    }
  }

  private async receive(message: WebviewToExtension): Promise<void> {
    switch (message.type) {
      case 'webview/ready': {
        const folder = this.folderPath ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
        if (folder) this.sessionFor(folder).restore();
        else this.view?.webview.postMessage({ type: 'state/restore', turns: [], model: this.modelLabel(), workspace: null });
        this.flushPrefill();
        break;
      }
      case 'ask/start': {
        const folder = await this.chooseFolder();
        if (!folder) return;
        await this.sessionFor(folder).ask(message.question, { repack: message.repack });
        break;
      }
      case 'ask/cancel':
        this.session()?.cancel(message.id);
        break;
      case 'citation/open': {
        const citation = this.session()?.citation(message.turnId, message.index);
        if (citation && citation.status !== 'invalid' && this.folderPath) await openCitation(this.folderPath, citation.corrected ?? citation);
        break;
      }
      case 'citation/preview': {
        const citation = this.session()?.citation(message.turnId, message.index);
        const span = citation?.corrected ?? citation;
        const lines = span && citation!.status !== 'invalid' && this.folderPath ? await citedLines(this.folderPath, span) : null;
        void this.view?.webview.postMessage({ type: 'citation/preview', requestId: message.requestId, path: span?.path ?? '', start: span?.start ?? 0, end: span?.end ?? 0, lines });
        break;
      }
      case 'action/run':
        if (message.command.startsWith('longrepo.') || message.command === 'workbench.action.openSettings' || message.command === 'workbench.action.files.openFolder') {
          await vscode.commands.executeCommand(message.command, ...(message.args ?? []));
        }
        break;
      case 'conversation/new':
        await this.newConversation();
        break;
      case 'conversation/export':
        await this.exportConversation();
        break;
    }
  }

  /** The folder to ask about: the only one, the one chosen before, or one the user picks (multi-root). */
  private async chooseFolder(): Promise<string | undefined> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (this.folderPath && folders.some((f) => f.uri.fsPath === this.folderPath)) return this.folderPath;
    if (folders.length === 0) {
      this.post({ type: 'ask/error', id: '', error: { message: 'Open a folder first: LongRepo asks about the workspace folder on disk.', action: { label: 'Open Folder', command: 'workbench.action.files.openFolder' } } });
      return undefined;
    }
    const local = folders.filter((f) => f.uri.scheme === 'file');
    const picked = local.length === 1 ? local[0] : await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Which folder should LongRepo pack?' });
    if (!picked) return undefined;
    this.folderPath = picked.uri.fsPath;
    this.sessionFor(this.folderPath).restore();
    return this.folderPath;
  }

  private sessionFor(folder: string): ChatSession {
    let session = this.sessions.get(folder);
    if (!session) {
      const key = `longrepo.turns:${folder}`;
      session = new ChatSession({
        post: (message) => this.post(message),
        chat: () => this.chatFor(folder, session!),
        persist: (turns) => void this.context.workspaceState.update(key, turns),
        packed: (manifest, budget, window) => this.showPack(manifest, budget, window, folder),
        repackWanted: () => {
          const wanted = this.stale;
          this.stale = false;
          return wanted;
        },
        modelLabel: () => this.modelLabel(),
        workspaceLabel: () => basename(folder),
      }, this.context.workspaceState.get<TurnView[]>(key, []));
      this.sessions.set(folder, session);
      this.folderPath ??= folder;
    }
    return session;
  }

  private chatFor(folder: string, session: ChatSession): Promise<RepositoryChat> {
    let chat = this.chats.get(folder);
    if (!chat) {
      chat = this.createChat(folder, session);
      this.chats.set(folder, chat);
      chat.catch(() => this.chats.delete(folder));
    }
    return chat;
  }

  private async createChat(folder: string, session: ChatSession): Promise<RepositoryChat> {
    const settings = readSettings(vscode.workspace.getConfiguration('longrepo'));
    try {
      const backend = await this.createBackend(settings);
      if (!backend.local && !vscode.workspace.isTrusted && !this.trustConfirmed) {
        const choice = await vscode.window.showWarningMessage(
          `This workspace is not trusted. Send its code to ${backend.label}?`, { modal: true, detail: 'Restricted Mode keeps code on this machine unless you agree.' }, 'Send',
        );
        if (choice !== 'Send') {
          await backend.close?.();
          throw new CancelledError();
        }
        this.trustConfirmed = true;
      }
      const window = settings.contextWindow || (backend.local ? Math.min(DEFAULT_LOCAL_WINDOW, (await backend.contextWindow()) ?? DEFAULT_LOCAL_WINDOW) : undefined);
      return new RepositoryChat(folder, {
        backend, window, maxTokens: settings.answerReserve, temperature: settings.temperature, redact: settings.redactSecrets ? undefined : false,
        history: session.history,
        pack: packOptionsOf(settings),
      });
    } catch (error) {
      if (error instanceof Error) error.message = inEditorTerms(error.message);
      throw error;
    }
  }

  private async createBackend(settings: ExtensionSettings): Promise<ChatBackend> {
    const provider = settings.provider === 'auto' ? (settings.endpoint ? 'openai' : 'onnx') : settings.provider;
    if (provider === 'vscode-lm') return VscodeLmBackend.choose(settings.model);
    if (provider === 'onnx') {
      let dir = settings.modelDir;
      if (!dir) {
        dir = modelDir(DEFAULT_LOCAL_MODEL.id);
        if (!(await isModelComplete(dir, DEFAULT_LOCAL_MODEL.dtype))) {
          const choice = await vscode.window.showInformationMessage(
            `No model server is set (longrepo.endpoint). Download the default local model ${DEFAULT_LOCAL_MODEL.id} (about ${(DEFAULT_LOCAL_MODEL.approxBytes / 1e9).toFixed(1)} GB)?`,
            'Download', 'Open Settings',
          );
          if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'longrepo');
          if (choice !== 'Download' || !(await this.downloadDefaultModel())) {
            throw new UsageError('no model server is configured and the default local model is not downloaded: set longrepo.endpoint, or download the model');
          }
        }
      }
      return createBackend({ provider: 'onnx', modelDir: dir, dtype: settings.dtype ?? (settings.modelDir ? undefined : DEFAULT_LOCAL_MODEL.dtype) });
    }
    const apiKey = (await this.context.secrets.get(secretKey(provider))) ?? process.env.LONGREPO_API_KEY;
    return createBackend({
      provider, endpoint: settings.endpoint || undefined, model: settings.model || undefined, apiKey,
      keyHint: 'LONGREPO_API_KEY', idleTimeoutMs: settings.timeoutSeconds * 1000,
    });
  }

  private remoteProvider(settings: ExtensionSettings): 'openai' | 'anthropic' {
    return settings.provider === 'anthropic' || /anthropic\.com/.test(settings.endpoint) ? 'anthropic' : 'openai';
  }

  private modelLabel(): string {
    const settings = readSettings(vscode.workspace.getConfiguration('longrepo'));
    if (settings.provider === 'vscode-lm') return `a VS Code language model${settings.model ? ` (${settings.model})` : ''}`;
    if (settings.provider === 'onnx' || (settings.provider === 'auto' && !settings.endpoint)) return settings.modelDir ? `the local model in ${settings.modelDir}` : `the local model ${DEFAULT_LOCAL_MODEL.id}`;
    return `${settings.model || 'the model'} at ${settings.endpoint || (settings.provider === 'anthropic' ? 'api.anthropic.com' : 'api.openai.com')}`;
  }

  private showPack(manifest: Manifest, budget: number, window: number, folder: string): void {
    this.contextView.show(manifest, budget, window, folder);
    const k = (n: number): string => (n >= 1000 ? `${(n / 1000).toFixed(n >= 100_000 ? 0 : 1)}K` : String(n));
    const shown = manifest.files.filter((f) => f.level !== 'omitted').length;
    this.status.text = `$(book) ${k(manifest.totalTokens)} / ${k(window)} tokens`;
    this.status.tooltip = `LongRepo: the repository's prompt is ${manifest.totalTokens.toLocaleString('en-US')} ${manifest.tokenizer} tokens ` +
      `(${shown} of ${manifest.files.length} files shown) for a ${window.toLocaleString('en-US')}-token window`;
    this.status.show();
    this.output.appendLine(`packed ${manifest.stats.files} files into ${manifest.totalTokens} tokens (budget ${budget}, window ${window})`);
  }

  private flushPrefill(): void {
    if (this.view && this.pendingPrefill !== undefined) {
      void this.view.webview.postMessage({ type: 'question/prefill', text: this.pendingPrefill });
      this.pendingPrefill = undefined;
    }
  }

  private post(message: ExtensionToWebview): void {
    void this.view?.webview.postMessage(message);
  }

  private async closeChats(): Promise<void> {
    const chats = [...this.chats.values()];
    this.chats = new Map();
    for (const chat of chats) await chat.then((c) => c.close()).catch(() => {});
  }
}

/** "LongRepo: Pack Workspace into a Prompt": the prompt in an editor, for copying elsewhere. */
async function packWorkspace(): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder || folder.uri.scheme !== 'file') {
    void vscode.window.showErrorMessage('LongRepo: open a folder first; it packs the workspace folder on disk.');
    return;
  }
  const settings = readSettings(vscode.workspace.getConfiguration('longrepo'));
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'LongRepo: packing', cancellable: true },
      async (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        return pack(folder.uri.fsPath, {
          ...packOptionsOf(settings), signal: controller.signal,
          onProgress: (p) => progress.report({ message: `${p.stage === 'scan' ? 'reading' : 'counting'} ${p.done}/${p.total} files` }),
        });
      },
    );
    const doc = await vscode.workspace.openTextDocument({ content: result.prompt, language: settings.format === 'markdown' ? 'markdown' : settings.format === 'xml' ? 'xml' : 'plaintext' });
    await vscode.window.showTextDocument(doc, { preview: false });
    const m = result.manifest;
    void vscode.window.showInformationMessage(`LongRepo: ${m.stats.files} files, ${m.totalTokens.toLocaleString('en-US')} ${m.tokenizer} tokens, ${m.stats.skipped} skipped.`);
  } catch (error) {
    if (error instanceof CancelledError) return;
    void vscode.window.showErrorMessage(`LongRepo: ${error instanceof UsageError ? error.message : `packing failed: ${(error as Error).message}`}`);
  }
}
