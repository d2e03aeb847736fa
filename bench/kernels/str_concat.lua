-- str_concat: append the decimal form of 0..N-1, each followed by a
-- comma, to a string, starting a fresh string whenever it reaches 1000
-- characters. Each finished string (and the last, unfinished one) is
-- folded into a rolling hash modulo a prime: its length, its first
-- digit and the last digit before its final comma. Stresses int-to-
-- string conversion and string concatenation.
--
-- Lua strings are immutable, so `s = s .. t` would copy the whole
-- string each time; the string grows as a table of pieces with its
-- length kept alongside, joined by table.concat when finished, the
-- usual Lua string builder (the C peer grows a buffer in place, and
-- CPython's `s = s + t` does too).

local N = 20000000

local P = 1000000007

local function fold(h, s)
  local n = #s
  h = (h * 31 + n) % P
  h = (h * 31 + tonumber(s:sub(1, 1))) % P
  h = (h * 31 + tonumber(s:sub(n - 1, n - 1))) % P
  return h
end

local function main()
  local h = 0
  local pieces = {}
  local count = 0
  local len = 0
  for i = 0, N - 1 do
    local piece = string.format("%d,", i)
    count = count + 1
    pieces[count] = piece
    len = len + #piece
    if len >= 1000 then
      h = fold(h, table.concat(pieces, "", 1, count))
      count = 0
      len = 0
    end
  end
  if len > 0 then
    h = fold(h, table.concat(pieces, "", 1, count))
  end
  print(string.format("%d", h))
end

main()
