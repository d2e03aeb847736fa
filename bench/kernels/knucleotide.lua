-- knucleotide: count every k-mer, for k in 1 2 3 4 6 12 18, of an
-- N-base DNA sequence generated in-program with the fasta benchmark's
-- linear congruential generator and its Homo sapiens base frequencies
-- (uppercase ACGT). For each k, fold into a rolling hash modulo a
-- prime: the number of distinct k-mers, the sum of the squares of
-- their counts, and the count of the first k bases of
-- GGTATTTTAATTTATAGT. Stresses hash maps keyed by substrings (here a
-- table keyed by substrings of the sequence).

local N = 3500000

local IM = 139968
local IA = 3877
local IC = 29573
local P = 1000000007

local function make_sequence(n)
  local symbols = { "A", "C", "G", "T" }
  local probs = { 0.3029549426680, 0.1979883004921, 0.1975473066391, 0.3015094502008 }
  local cum = {}
  local acc = 0.0
  for k = 1, 4 do
    acc = acc + probs[k]
    cum[k] = acc
  end
  local chars = {}
  local last = 42
  for i = 1, n do
    last = (last * IA + IC) % IM
    local r = 1.0 * last / IM
    local k = 0
    while k < 3 and r >= cum[k + 1] do
      k = k + 1
    end
    chars[i] = symbols[k + 1]
  end
  return table.concat(chars)
end

local function main()
  local seq = make_sequence(N)
  local query = "GGTATTTTAATTTATAGT"
  local frames = { 1, 2, 3, 4, 6, 12, 18 }
  local h = 0
  for f = 1, #frames do
    local k = frames[f]
    local counts = {}
    for i = 1, #seq - k + 1 do
      local key = seq:sub(i, i + k - 1)
      counts[key] = (counts[key] or 0) + 1
    end
    local distinct = 0
    local sumsq = 0
    for _, c in pairs(counts) do
      distinct = distinct + 1
      sumsq = sumsq + c * c
    end
    local qcount = counts[query:sub(1, k)] or 0
    h = (h * 1000003 + distinct) % P
    h = (h * 1000003 + sumsq % P) % P
    h = (h * 1000003 + qcount) % P
  end
  print(string.format("%d", h))
end

main()
