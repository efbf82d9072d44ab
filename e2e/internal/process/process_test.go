package process

import (
	"path/filepath"
	"testing"
	"time"
)

func TestStopAllEndsRunningAndEndedProcesses(t *testing.T) {
	dir := t.TempDir()
	sleeper, err := Start("sleeper", filepath.Join(dir, "sleeper.log"), nil, "sleep", "60")
	if err != nil {
		t.Fatal(err)
	}
	ended, err := Start("ended", filepath.Join(dir, "ended.log"), nil, "true")
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		if exited, err := ended.Exited(); exited {
			if err != nil {
				t.Fatalf("true: %v", err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("true did not end")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := StopAll(); err != nil {
		t.Fatalf("StopAll: %v", err)
	}
	if exited, err := sleeper.Exited(); !exited || err == nil {
		t.Errorf("sleeper: exited %v, %v; want ended by a signal", exited, err)
	}
	if err := sleeper.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}
