-- fib_iter: iterative Fibonacci modulo a prime. Stresses a tight loop
-- with a loop-carried add and remainder. (Lua numbers are doubles, exact
-- for integers below 2^53; every value here stays below 2^31.)

local N = 300000000

local function fib_mod(n)
  local p = 1000000007
  local a = 0
  local b = 1
  for _ = 1, n do
    local t = (a + b) % p
    a = b
    b = t
  end
  return a
end

print(string.format("%d", fib_mod(N)))
