import type { ExtensionToWebview, WebviewToExtension } from '../protocol.js';

declare function acquireVsCodeApi(): { postMessage(message: WebviewToExtension): void };

// The panel's browser code: it shows what the extension host sends, as text only (never as HTML).
const vscode = acquireVsCodeApi();
const status = document.getElementById('status');

window.addEventListener('message', (event: MessageEvent<ExtensionToWebview>) => {
  const message = event.data;
  if (message.type === 'pack/summary' && status) {
    status.textContent = `${message.files} files, ${message.totalTokens} ${message.tokenizer} tokens, ${message.skipped} skipped`;
  }
});
vscode.postMessage({ type: 'webview/ready' });
