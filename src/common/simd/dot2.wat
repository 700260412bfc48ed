;; dot2: the two cosines of each session candidate (ranking/session-ranking.ts), as common/vectors.ts dot2Into
;; computes them, to the bit: float32 inputs, products and sums in float64, four running sums per output (lanes
;; 0-1 and 2-3 of two f64x2 accumulators), combined as (s0 + s1) + (s2 + s3). dot1: the first of them alone,
;; as common/vectors.ts dot computes it.
;;
;; Memory: `a` and `b` are `dim` float64 each; `at` holds `n` i32 byte offsets, each of a float32 vector of `dim`
;; anywhere in memory (copied there for the call, or kept there: dot2-kernel.ts); `out` receives 2n float64
;; (a·v, b·v per vector; dot1 writes only a·v). `dim` is a multiple of 4 (callers check).
(module
  (memory (export "memory") 1)
  (func (export "dot2")
    (param $a i32) (param $b i32) (param $at i32) (param $n i32) (param $dim i32) (param $out i32)
    (local $i i32) (local $j i32) (local $v i32) (local $end i32)
    (local $a01 v128) (local $a23 v128) (local $b01 v128) (local $b23 v128)
    (local $x01 v128) (local $x23 v128) (local $pa i32) (local $pb i32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (i32.load (i32.add (local.get $at) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $end (i32.add (local.get $v) (i32.shl (local.get $dim) (i32.const 2))))
        (local.set $pa (local.get $a))
        (local.set $pb (local.get $b))
        (local.set $a01 (v128.const i64x2 0 0))
        (local.set $a23 (v128.const i64x2 0 0))
        (local.set $b01 (v128.const i64x2 0 0))
        (local.set $b23 (v128.const i64x2 0 0))
        (block $row
          (loop $four
            (br_if $row (i32.ge_u (local.get $v) (local.get $end)))
            (local.set $x01 (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $v))))
            (local.set $x23 (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $v))))
            (local.set $a01 (f64x2.add (local.get $a01) (f64x2.mul (v128.load (local.get $pa)) (local.get $x01))))
            (local.set $a23 (f64x2.add (local.get $a23) (f64x2.mul (v128.load offset=16 (local.get $pa)) (local.get $x23))))
            (local.set $b01 (f64x2.add (local.get $b01) (f64x2.mul (v128.load (local.get $pb)) (local.get $x01))))
            (local.set $b23 (f64x2.add (local.get $b23) (f64x2.mul (v128.load offset=16 (local.get $pb)) (local.get $x23))))
            (local.set $v (i32.add (local.get $v) (i32.const 16)))
            (local.set $pa (i32.add (local.get $pa) (i32.const 32)))
            (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
            (br $four)))
        (f64.store
          (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 4)))
          (f64.add
            (f64.add (f64x2.extract_lane 0 (local.get $a01)) (f64x2.extract_lane 1 (local.get $a01)))
            (f64.add (f64x2.extract_lane 0 (local.get $a23)) (f64x2.extract_lane 1 (local.get $a23)))))
        (f64.store offset=8
          (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 4)))
          (f64.add
            (f64.add (f64x2.extract_lane 0 (local.get $b01)) (f64x2.extract_lane 1 (local.get $b01)))
            (f64.add (f64x2.extract_lane 0 (local.get $b23)) (f64x2.extract_lane 1 (local.get $b23)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each))))
  (func (export "dot1")
    (param $a i32) (param $at i32) (param $n i32) (param $dim i32) (param $out i32)
    (local $i i32) (local $v i32) (local $end i32) (local $pa i32)
    (local $a01 v128) (local $a23 v128)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (i32.load (i32.add (local.get $at) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $end (i32.add (local.get $v) (i32.shl (local.get $dim) (i32.const 2))))
        (local.set $pa (local.get $a))
        (local.set $a01 (v128.const i64x2 0 0))
        (local.set $a23 (v128.const i64x2 0 0))
        (block $row
          (loop $four
            (br_if $row (i32.ge_u (local.get $v) (local.get $end)))
            (local.set $a01 (f64x2.add (local.get $a01)
              (f64x2.mul (v128.load (local.get $pa)) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $v))))))
            (local.set $a23 (f64x2.add (local.get $a23)
              (f64x2.mul (v128.load offset=16 (local.get $pa)) (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $v))))))
            (local.set $v (i32.add (local.get $v) (i32.const 16)))
            (local.set $pa (i32.add (local.get $pa) (i32.const 32)))
            (br $four)))
        (f64.store
          (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 4)))
          (f64.add
            (f64.add (f64x2.extract_lane 0 (local.get $a01)) (f64x2.extract_lane 1 (local.get $a01)))
            (f64.add (f64x2.extract_lane 0 (local.get $a23)) (f64x2.extract_lane 1 (local.get $a23)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))))
