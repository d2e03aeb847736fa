-- prime_count: count the primes below N by trial division with odd
-- divisors. Stresses integer remainder, comparisons and branches.

local N = 7000000

local function is_prime(n)
  if n < 2 then
    return false
  end
  if n < 4 then
    return true
  end
  if n % 2 == 0 then
    return false
  end
  local d = 3
  while d * d <= n do
    if n % d == 0 then
      return false
    end
    d = d + 2
  end
  return true
end

local count = 0
for i = 0, N - 1 do
  if is_prime(i) then
    count = count + 1
  end
end
print(string.format("%d", count))
