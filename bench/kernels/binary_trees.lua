-- binary_trees: allocate and walk many perfect binary trees, as in the
-- Computer Language Benchmarks Game (min depth 4, max depth N, N >= 6).
-- Stresses allocation, recursion and garbage collection. A node is a
-- table { left, right }; a tree of depth 0 is a node with two empty
-- (false) children; check counts nodes. The checksum is the sum of
-- every check performed.

local N = 18

local function make(depth)
  if depth == 0 then
    return { false, false }
  end
  return { make(depth - 1), make(depth - 1) }
end

local function check(t)
  if not t then
    return 0
  end
  return 1 + check(t[1]) + check(t[2])
end

local function pow2(e)
  local p = 1
  for _ = 1, e do
    p = p * 2
  end
  return p
end

local function main()
  local min_depth = 4
  local max_depth = N
  local total = 0

  local stretch = make(max_depth + 1)
  total = total + check(stretch)
  stretch = nil -- let the collector have it

  local long_lived = make(max_depth)

  for d = min_depth, max_depth, 2 do
    local iterations = pow2(max_depth - d + min_depth)
    local sum = 0
    for _ = 1, iterations do
      local t = make(d)
      sum = sum + check(t)
    end
    total = total + sum
  end

  total = total + check(long_lived)
  print(string.format("%d", total))
end

main()
