-- spectral_norm: the spectral norm of the infinite matrix
-- A(i,j) = 1/((i+j)(i+j+1)/2 + i + 1) truncated to N x N, by ten rounds
-- of power iteration on A^T A. Stresses float division, nested loops
-- and table indexing. The checksum is the norm times 1e9, truncated.
-- i and j count from 0 as in the formula; element i of a vector is v[i + 1].
-- (i+j)(i+j+1) is even, so the / 2 is exact, as C's integer division.

local N = 4400

local function a(i, j)
  return 1.0 / ((i + j) * (i + j + 1) / 2 + i + 1)
end

local function mul_av(n, v)
  local out = {}
  for i = 0, n - 1 do
    local s = 0.0
    for j = 0, n - 1 do
      s = s + a(i, j) * v[j + 1]
    end
    out[i + 1] = s
  end
  return out
end

local function mul_atv(n, v)
  local out = {}
  for i = 0, n - 1 do
    local s = 0.0
    for j = 0, n - 1 do
      s = s + a(j, i) * v[j + 1]
    end
    out[i + 1] = s
  end
  return out
end

local function mul_atav(n, v)
  return mul_atv(n, mul_av(n, v))
end

local function main()
  local n = N
  local u = {}
  local v = {}
  for i = 1, n do
    u[i] = 1.0
    v[i] = 0.0
  end
  for _ = 1, 10 do
    v = mul_atav(n, u)
    u = mul_atav(n, v)
  end
  local vbv = 0.0
  local vv = 0.0
  for i = 1, n do
    vbv = vbv + u[i] * v[i]
    vv = vv + v[i] * v[i]
  end
  local norm = math.sqrt(vbv / vv)
  print(string.format("%d", math.floor(norm * 1e9)))
end

main()
