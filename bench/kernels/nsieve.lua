-- nsieve: the sieve of Eratosthenes run for limits N, N/2 and N/4,
-- counting the primes below each limit. Stresses allocation of a large
-- table and strided stores into it. The checksum is the sum of the
-- three counts. The flag of number i is flags[i + 1]; table.new sizes
-- the table once, as Python's [True] * (m + 1) does.

local N = 70000000

local new_table = require("table.new")

local function nsieve(m)
  local flags = new_table(m + 1, 0)
  for i = 1, m + 1 do
    flags[i] = true
  end
  local count = 0
  for i = 2, m - 1 do
    if flags[i + 1] then
      count = count + 1
      local k = i + i
      while k < m do
        flags[k + 1] = false
        k = k + i
      end
    end
  end
  return count
end

local total = 0
local m = N
for _ = 1, 3 do
  total = total + nsieve(m)
  m = math.floor(m / 2)
end
print(string.format("%d", total))
