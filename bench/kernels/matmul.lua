-- matmul: N x N float matrix product through a transposed copy of the
-- right operand. Entries are small integers stored as doubles, so every
-- product and partial sum is exact and the result does not depend on
-- the order of additions. Stresses nested loops, table-of-table indexing
-- and float multiply-add. The checksum is a rolling hash, modulo a
-- prime, of the entries of the product in row-major order. Tables are
-- indexed from 1, so row i, column j is m[i + 1][j + 1].

local N = 1000

local function main()
  local n = N
  local a = {}
  local b = {}
  for i = 0, n - 1 do
    local ra = {}
    local rb = {}
    for j = 0, n - 1 do
      ra[j + 1] = (i * 3 + j * 5) % 10
      rb[j + 1] = (i * 7 + j * 2 + 1) % 10
    end
    a[i + 1] = ra
    b[i + 1] = rb
  end
  local bt = {}
  for j = 1, n do
    local row = {}
    for i = 1, n do
      row[i] = b[i][j]
    end
    bt[j] = row
  end
  local c = {}
  for i = 1, n do
    local ai = a[i]
    local row = {}
    for j = 1, n do
      local btj = bt[j]
      local s = 0.0
      for k = 1, n do
        s = s + ai[k] * btj[k]
      end
      row[j] = s
    end
    c[i] = row
  end
  local p = 1000000007
  local h = 0
  for i = 1, n do
    for j = 1, n do
      h = (h * 31 + c[i][j]) % p
    end
  end
  print(string.format("%d", h))
end

main()
