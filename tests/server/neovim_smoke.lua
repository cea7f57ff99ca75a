-- Headless Neovim as the editor: open a file, attach torchbridge's server through the
-- built-in LSP client, wait for the diagnostics, choose the quick fix from the code-action
-- menu (vim.ui.select answered here as a user would), let the client apply its edit, wait
-- for the new diagnostics, write the buffer, and report what happened as JSON lines.
local out = assert(io.open(os.getenv("SMOKE_OUT"), "w"))
local function say(event, value)
  out:write(vim.fn.json_encode({ event = event, value = value }) .. "\n")
  out:flush()
end

local function codes(bufnr)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(found, string.format("%s@%d:%d", d.code or d.user_data and d.user_data.lsp and d.user_data.lsp.code or "?", d.lnum, d.col))
  end
  table.sort(found)
  return found
end

vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("SMOKE_FILE")))
local bufnr = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start_client({
  name = "torchbridge",
  cmd = { os.getenv("SMOKE_PYTHON"), "-m", "torchbridge", "server" },
  root_dir = os.getenv("SMOKE_ROOT"),
})
vim.lsp.buf_attach_client(bufnr, client_id)

if not vim.wait(60000, function() return #vim.diagnostic.get(bufnr) > 0 end, 50) then
  say("error", "no diagnostics")
  vim.cmd("qa!")
end
say("diagnostics", codes(bufnr))

-- The cursor on the first finding; the menu answered with torchbridge's preferred quick fix.
local first = vim.diagnostic.get(bufnr)[1]
vim.api.nvim_win_set_cursor(0, { first.lnum + 1, first.col })
vim.ui.select = function(items, _, on_choice)
  local titles = {}
  for index, item in ipairs(items) do
    local action = item.action or item[2]
    table.insert(titles, action.title)
    if action.kind == "quickfix.torchbridge" then
      say("menu", titles)
      on_choice(item, index)
      return
    end
  end
  say("error", { "no quick fix in the menu", titles })
  on_choice(nil, nil)
end
local before = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
vim.lsp.buf.code_action()
if not vim.wait(60000, function()
  return not vim.deep_equal(before, vim.api.nvim_buf_get_lines(bufnr, 0, -1, false))
end, 50) then
  say("error", "the quick fix changed nothing")
  vim.cmd("qa!")
end
say("fixed", vim.api.nvim_buf_get_lines(bufnr, 0, -1, false))
local count = #vim.diagnostic.get(bufnr)
vim.wait(60000, function() return #vim.diagnostic.get(bufnr) < count end, 50)
say("diagnostics after", codes(bufnr))
vim.cmd("write")
vim.lsp.stop_client(client_id)
vim.wait(10000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
say("done", true)
vim.cmd("qa!")
