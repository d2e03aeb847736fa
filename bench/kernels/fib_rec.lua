-- fib_rec: naive doubly recursive Fibonacci. Stresses calls and returns.

local N = 44

local function fib(n)
  if n < 2 then
    return n
  end
  return fib(n - 1) + fib(n - 2)
end

print(string.format("%d", fib(N)))
