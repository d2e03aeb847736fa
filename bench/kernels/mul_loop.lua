-- mul_loop: N! modulo a prime. Stresses a loop-carried integer multiply
-- and remainder. A product of two numbers below the prime needs up to
-- 60 bits, more than a double holds exactly, so the accumulator is one
-- of LuaJIT's 64-bit integers (the LL suffix).

local N = 250000000

local function factorial_mod(n)
  local p = 1000000007
  local f = 1LL
  for i = 1, n do
    f = f * (i % p) % p
  end
  return f
end

print(string.format("%d", tonumber(factorial_mod(N))))
