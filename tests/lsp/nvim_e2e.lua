-- The end-to-end test's editor half: Neovim's built-in LSP client (0.7+) against `triage lsp`.
-- Run by nvim_e2e_test.py as
--   TRIAGE=… RULE_FILE=… CASES_FILE=… WITNESS_FLAG=… HOVER_LINE=… HOVER_COL=… RESULT=… nvim --headless --clean -c 'luafile nvim_e2e.lua'
-- It opens RULE_FILE, waits for the diagnostics, asks hover and definition at HOVER_LINE/COL
-- (0-based), formats the buffer, asks the code lenses of RULE_FILE and runs the one of red flag
-- WITNESS_FLAG, then asks those of CASES_FILE and runs each, and writes what it saw to RESULT as
-- JSON; the Python half judges.
local env = vim.env
local result = { steps = {} }

local function finish(code)
  local f = io.open(env.RESULT, 'w')
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd(code == 0 and 'qall!' or 'cquit! ' .. code)
end

local ok, err = pcall(function()
  vim.cmd('edit ' .. vim.fn.fnameescape(env.RULE_FILE))
  local buf = vim.api.nvim_get_current_buf()
  local client_id = vim.lsp.start_client({
    name = 'triage',
    cmd = { env.TRIAGE, 'lsp' },
    root_dir = vim.fn.fnamemodify(env.RULE_FILE, ':h'),
  })
  assert(client_id, 'the client did not start')
  vim.lsp.buf_attach_client(buf, client_id)

  -- Diagnostics arrive on their own after didOpen.
  local got = vim.wait(20000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
  assert(got, 'no diagnostics in 20 s')
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(result.diagnostics, { lnum = d.lnum, col = d.col, end_col = d.end_col, severity = d.severity,
                                       message = d.message, code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) })
  end

  -- Before formatting moves the lines: a screen's worth around the first diagnostic, as the author sees it (line numbers, the text,
  -- the diagnostic shown under it), for the documentation.
  local d = result.diagnostics[1]
  local lines = vim.api.nvim_buf_get_lines(buf, math.max(0, d.lnum - 5), d.lnum + 3, false)
  result.screen = { first_line = math.max(0, d.lnum - 5), lines = lines }

  local position = { line = tonumber(env.HOVER_LINE), character = tonumber(env.HOVER_COL) }
  local params = { textDocument = vim.lsp.util.make_text_document_params(buf), position = position }
  local hover = vim.lsp.buf_request_sync(buf, 'textDocument/hover', params, 10000)
  local answer = hover and hover[client_id] and hover[client_id].result
  result.hover = answer and answer.contents and answer.contents.value or vim.NIL

  local definition = vim.lsp.buf_request_sync(buf, 'textDocument/definition', params, 10000)
  local location = definition and definition[client_id] and definition[client_id].result
  if location and location[1] then location = location[1] end
  result.definition = location or vim.NIL

  -- Formatting as a rule author would: the 0.7 synchronous API.
  vim.lsp.buf.formatting_sync(nil, 10000)
  result.formatted = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n') .. '\n'

  -- Code lenses and their commands. The messages the server shows are kept, as the author reads them.
  result.messages = {}
  vim.lsp.handlers['window/showMessage'] = function(_, message)
    table.insert(result.messages, message)
  end
  -- Mend the misspelt fact in the buffer without saving it: the file on disk keeps the mistake,
  -- so the commands below can run only if the server reads the rules from the editor's buffers.
  local mended = {}
  for i, text in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    mended[i] = (text:gsub('sadle_numbness', 'saddle_numbness'))
  end
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, mended)
  local rules_doc = { textDocument = vim.lsp.util.make_text_document_params(buf) }
  local flag_lenses = vim.lsp.buf_request_sync(buf, 'textDocument/codeLens', rules_doc, 10000)
  local flag_lens
  for _, lens in ipairs(flag_lenses and flag_lenses[client_id] and flag_lenses[client_id].result or {}) do
    if lens.command.arguments[1].flag == env.WITNESS_FLAG then flag_lens = lens end
  end
  assert(flag_lens, 'no "Show a witness intake" lens on ' .. env.WITNESS_FLAG)
  result.flag_lens = { title = flag_lens.command.title, line = flag_lens.range.start.line,
                       text = vim.api.nvim_buf_get_lines(buf, flag_lens.range.start.line, flag_lens.range.start.line + 1, false)[1] }
  local witness = vim.lsp.buf_request_sync(buf, 'workspace/executeCommand', flag_lens.command, 20000)
  local answer = witness and witness[client_id] or {}
  result.witness = answer.result or { error = answer.err and answer.err.message or 'no answer' }

  -- A .cases file of the folder: its lenses, then each one's command, as a click on it runs it.
  local cases = vim.fn.bufadd(env.CASES_FILE)
  vim.fn.bufload(cases)
  vim.lsp.buf_attach_client(cases, client_id)
  local cases_doc = { textDocument = vim.lsp.util.make_text_document_params(cases) }
  local case_lenses = vim.lsp.buf_request_sync(cases, 'textDocument/codeLens', cases_doc, 10000)
  result.case_lenses, result.runs = {}, {}
  for _, lens in ipairs(case_lenses and case_lenses[client_id] and case_lenses[client_id].result or {}) do
    table.insert(result.case_lenses, { line = lens.range.start.line, title = lens.command.title })
    local run = vim.lsp.buf_request_sync(cases, 'workspace/executeCommand', lens.command, 20000)
    local ran = run and run[client_id] or {}
    table.insert(result.runs, ran.result or { error = ran.err and ran.err.message or 'no answer' })
  end

  vim.lsp.stop_client(client_id)
  vim.wait(5000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
end)

if not ok then
  result.error = tostring(err)
  finish(1)
else
  finish(0)
end
