package tui

import (
	"testing"
)

// BenchmarkView draws every screen at 200x60 (target: under 5 ms each).
func BenchmarkView(b *testing.B) {
	for _, sc := range screens {
		b.Run(sc.name, func(b *testing.B) {
			m := newTestModel(b, 200, 60)
			for _, k := range sc.keys {
				m.Update(keyMsg(k))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}

// BenchmarkFirstFrame is the time from nothing to the first frame: the
// model is built and drawn before any data is read (Init's command reads).
func BenchmarkFirstFrame(b *testing.B) {
	for b.Loop() {
		m := New(testWS, Options{})
		_ = m.Init()
		_ = m.View()
	}
}
