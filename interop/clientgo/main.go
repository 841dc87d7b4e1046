// clientgo-probe runs client-go's own leader-election code against a Lease, so that the Java library's
// integration tests can check wire compatibility with the Go reference:
//
//	clientgo-probe read  -kubeconfig K -namespace N -name L
//	    prints the Lease as client-go's resourcelock reads it (a LeaderElectionRecord), as one JSON line
//	clientgo-probe elect -kubeconfig K -namespace N -name L -id ID -lease 4s -renew 3s -retry 1s -for 30s
//	    runs client-go's LeaderElector as a candidate and prints one line per event:
//	    EVENT t=<CLOCK_MONOTONIC ns> id=<ID> event=started-leading|stopped-leading|new-leader leader=<id>
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

func monotonic() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic(err)
	}
	return ts.Nano()
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: clientgo-probe read|elect [flags]")
		os.Exit(64)
	}
	cmd := os.Args[1]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", "", "path to a kubeconfig")
	namespace := fs.String("namespace", "default", "namespace of the Lease")
	name := fs.String("name", "", "name of the Lease")
	id := fs.String("id", "clientgo", "candidate identity")
	lease := fs.Duration("lease", 15*time.Second, "leaseDuration")
	renew := fs.Duration("renew", 10*time.Second, "renewDeadline")
	retry := fs.Duration("retry", 2*time.Second, "retryPeriod")
	runFor := fs.Duration("for", 0, "stop (releasing) after this long; 0 = until SIGTERM")
	release := fs.Bool("release", true, "ReleaseOnCancel")
	_ = fs.Parse(os.Args[2:])

	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubeconfig:", err)
		os.Exit(2)
	}
	client := kubernetes.NewForConfigOrDie(cfg)
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, *namespace, *name,
		client.CoreV1(), client.CoordinationV1(), resourcelock.ResourceLockConfig{Identity: *id})
	if err != nil {
		fmt.Fprintln(os.Stderr, "lock:", err)
		os.Exit(2)
	}

	switch cmd {
	case "read":
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		record, _, err := lock.Get(ctx)
		if err != nil {
			fmt.Fprintln(os.Stderr, "get:", err)
			os.Exit(1)
		}
		out, _ := json.Marshal(record)
		fmt.Println(string(out))
	case "elect":
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		go func() { <-sig; cancel() }()
		if *runFor > 0 {
			go func() { time.Sleep(*runFor); cancel() }()
		}
		leaderelection.RunOrDie(ctx, leaderelection.LeaderElectionConfig{
			Lock:            lock,
			LeaseDuration:   *lease,
			RenewDeadline:   *renew,
			RetryPeriod:     *retry,
			ReleaseOnCancel: *release,
			Name:            *name,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(ctx context.Context) {
					fmt.Printf("EVENT t=%d id=%s event=started-leading\n", monotonic(), *id)
				},
				OnStoppedLeading: func() {
					fmt.Printf("EVENT t=%d id=%s event=stopped-leading\n", monotonic(), *id)
				},
				OnNewLeader: func(identity string) {
					fmt.Printf("EVENT t=%d id=%s event=new-leader leader=%s\n", monotonic(), *id, identity)
				},
			},
		})
	default:
		fmt.Fprintln(os.Stderr, "unknown command", cmd)
		os.Exit(64)
	}
}
