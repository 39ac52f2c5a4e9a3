-- Lua's standard library has no getuid: the kernel tells, through /proc.
local uid = "?"
local f = io.open("/proc/self/status")
if f then
  for line in f:lines() do
    local real = line:match("^Uid:%s+(%d+)")
    if real then uid = real break end
  end
  f:close()
end
print("hello from lua as uid " .. uid)
