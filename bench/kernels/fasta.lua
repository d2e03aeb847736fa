-- fasta: the Computer Language Benchmarks Game's fasta generator, with
-- the output replaced by a rolling hash of the bytes it would write.
-- Three sections: the ALU sequence repeated for 2N bases, then 3N bases
-- drawn from the IUB code table and 5N bases drawn from the Homo
-- sapiens table with the benchmark's linear congruential generator;
-- lines of 60 bases, each followed by a newline (headers are not
-- hashed). Stresses integer remainder, int-to-float conversion, float
-- comparison in a cumulative-probability search, and list indexing.

local N = 7000000

local IM = 139968
local IA = 3877
local IC = 29573
local LINE = 60
local P = 1000000007

local ALU = "GGCCGGGCGCGGTGGCTCACGCCTGTAATCCCAGCACTTTGG"
  .. "GAGGCCGAGGCGGGCGGATCACCTGAGGTCAGGAGTTCGAGA"
  .. "CCAGCCTGGCCAACATGGTGAAACCCCGTCTCTACTAAAAAT"
  .. "ACAAAAATTAGCCGGGCGTGGTGGCGCGCGCCTGTAATCCCA"
  .. "GCTACTCGGGAGGCTGAGGCAGGAGAATCGCTTGAACCCGGG"
  .. "AGGCGGAGGTTGCAGTGAGCCGAGATCGCGCCACTGCACTCC"
  .. "AGCCTGGGCGACAGAGCGAGACTCCGTCTCAAAAA"

local function byte_codes(s)
  local codes = {}
  for i = 1, #s do
    codes[i] = s:byte(i)
  end
  return codes
end

local function repeat_section(st, n)
  local codes = byte_codes(ALU)
  local alu_len = #codes
  local h = st.h
  local pos = 0
  local col = 0
  for _ = 1, n do
    h = (h * 31 + codes[pos + 1]) % P
    pos = pos + 1
    if pos == alu_len then
      pos = 0
    end
    col = col + 1
    if col == LINE then
      h = (h * 31 + 10) % P
      col = 0
    end
  end
  if col > 0 then
    h = (h * 31 + 10) % P
  end
  st.h = h
end

local function random_section(st, symbols, probs, n)
  local codes = byte_codes(symbols)
  local count = #codes
  local cum = {}
  local acc = 0.0
  for k = 1, #probs do
    acc = acc + probs[k]
    cum[k] = acc
  end
  local h = st.h
  local last = st.last
  local col = 0
  for _ = 1, n do
    last = (last * IA + IC) % IM
    local r = 1.0 * last / IM
    local k = 0
    while k < count - 1 and r >= cum[k + 1] do
      k = k + 1
    end
    h = (h * 31 + codes[k + 1]) % P
    col = col + 1
    if col == LINE then
      h = (h * 31 + 10) % P
      col = 0
    end
  end
  if col > 0 then
    h = (h * 31 + 10) % P
  end
  st.h = h
  st.last = last
end

local function main()
  local iub_probs = { 0.27, 0.12, 0.12, 0.27, 0.02, 0.02, 0.02, 0.02,
                      0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02 }
  local hs_probs = { 0.3029549426680, 0.1979883004921, 0.1975473066391, 0.3015094502008 }
  local st = { last = 42, h = 0 }
  repeat_section(st, 2 * N)
  random_section(st, "acgtBDHKMNRSVWY", iub_probs, 3 * N)
  random_section(st, "acgt", hs_probs, 5 * N)
  print(string.format("%d", st.h))
end

main()
