package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

// BatchOptions configures batch screening.
type BatchOptions struct {
	Catalog      *Catalog
	Redis        redis.UniversalClient // nil: in-process queue
	Prefix       string
	Dir          string
	Logger       *slog.Logger
	Metrics      *Metrics
	Threshold    float64
	MaxBytes     int64
	MaxRows      int64
	WaitMaxRows  int64
	ResultTTL    time.Duration
	Workers      int
	ChunkRows    int
	ClaimTimeout time.Duration
	Audit        AuditLog
}

// BatchManager runs batch jobs. (Being written: this placeholder mounts no routes.)
type BatchManager struct{}

// NewBatchManager returns a manager.
func NewBatchManager(o BatchOptions) (*BatchManager, error) { return &BatchManager{}, nil }

// Mount implements BatchRoutes.
func (b *BatchManager) Mount(g *gin.RouterGroup) {}

// Run works on jobs until ctx ends.
func (b *BatchManager) Run(ctx context.Context) { <-ctx.Done() }

// Close stops the workers.
func (b *BatchManager) Close() {}
