-- sum_loop: sum 0..N-1, kept below a prime by a compare and subtract.
-- Stresses loop overhead, integer add and a branch. (Lua numbers are
-- doubles, exact for integers below 2^53; every value here stays below
-- 2^31.)

local N = 1000000000

local function sum_loop(n)
  local p = 1000000007
  local s = 0
  for i = 0, n - 1 do
    s = s + i % p
    if s >= p then
      s = s - p
    end
  end
  return s
end

print(string.format("%d", sum_loop(N)))
