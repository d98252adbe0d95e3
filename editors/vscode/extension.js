// Starts `triage lsp` for *.rules and *.cases files. Everything the editor shows comes from the
// server; this file only says how to run it.
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration('triage');
  const server = { command: config.get('path', 'triage'), args: ['lsp'] };
  client = new LanguageClient('triage', 'Triage rules', { run: server, debug: server }, {
    documentSelector: [{ scheme: 'file', language: 'triage' }, { scheme: 'file', language: 'triage-cases' }],
    initializationOptions: { analysis: config.get('analysis', true) },
  });
  client.start();
  context.subscriptions.push({ dispose: () => client && client.stop() });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
