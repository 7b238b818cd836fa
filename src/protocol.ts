/** Messages between the extension host and the webview; both sides import this file and nothing else of each other. */

export interface PackSummaryMessage {
  type: 'pack/summary';
  files: number;
  totalTokens: number;
  tokenizer: string;
  skipped: number;
}

export type ExtensionToWebview = PackSummaryMessage;

export interface ReadyMessage {
  type: 'webview/ready';
}

export type WebviewToExtension = ReadyMessage;
