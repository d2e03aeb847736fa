-- mandelbrot: how many points of an N x N grid over [-1.5,0.5] x
-- [-1,1] stay within radius 2 for 50 iterations. Stresses float
-- arithmetic in a tight inner loop with an early exit.

local N = 4000

local function main()
  local n = N
  local inside = 0
  for y = 0, n - 1 do
    local ci = 2.0 * y / n - 1.0
    for x = 0, n - 1 do
      local cr = 2.0 * x / n - 1.5
      local zr, zi, tr, ti = 0.0, 0.0, 0.0, 0.0
      local i = 0
      while i < 50 and tr + ti <= 4.0 do
        zi = 2.0 * zr * zi + ci
        zr = tr - ti + cr
        tr = zr * zr
        ti = zi * zi
        i = i + 1
      end
      if tr + ti <= 4.0 then
        inside = inside + 1
      end
    end
  end
  print(string.format("%d", inside))
end

main()
