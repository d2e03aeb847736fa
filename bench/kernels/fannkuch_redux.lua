-- fannkuch_redux: for every permutation of 0..N-1, taken in the order
-- of the Computer Language Benchmarks Game's counting scheme, count the
-- prefix reversals until 0 comes first. Stresses small-table indexing,
-- swaps and nested loops. The checksum is checksum * 100 + maxflips,
-- where checksum adds the flip counts of even-numbered permutations and
-- subtracts those of odd-numbered ones. Positions count from 0 as in
-- the other peers; position i of a table is t[i + 1].

local N = 11

local function main()
  local n = N
  local perm1 = {}
  local perm = {}
  local count = {}
  for i = 0, n - 1 do
    perm1[i + 1] = i
    perm[i + 1] = 0
    count[i + 1] = 0
  end
  local checksum = 0
  local max_flips = 0
  local perm_index = 0
  local r = n
  local done = false
  while not done do
    while r ~= 1 do
      count[r] = r -- position r - 1
      r = r - 1
    end
    for i = 1, n do
      perm[i] = perm1[i]
    end
    local flips = 0
    local k = perm[1]
    while k ~= 0 do
      local lo = 0
      local hi = k
      while lo < hi do
        local t = perm[lo + 1]
        perm[lo + 1] = perm[hi + 1]
        perm[hi + 1] = t
        lo = lo + 1
        hi = hi - 1
      end
      flips = flips + 1
      k = perm[1]
    end
    if flips > max_flips then
      max_flips = flips
    end
    if perm_index % 2 == 0 then
      checksum = checksum + flips
    else
      checksum = checksum - flips
    end
    -- advance to the next permutation
    while true do
      if r == n then
        done = true
        break
      end
      local first = perm1[1]
      for i = 0, r - 1 do
        perm1[i + 1] = perm1[i + 2]
      end
      perm1[r + 1] = first
      count[r + 1] = count[r + 1] - 1
      if count[r + 1] > 0 then
        break
      end
      r = r + 1
    end
    perm_index = perm_index + 1
  end
  print(string.format("%d", checksum * 100 + max_flips))
end

main()
