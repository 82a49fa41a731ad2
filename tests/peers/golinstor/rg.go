package main

import (
	"context"
	"fmt"

	"github.com/LINBIT/golinstor/client"
)

// rgFlow: how linstor-csi provisions today — one resource group per StorageClass (its place
// count), a volume group, and a spawn per volume.
func rgFlow(ctx context.Context, c *client.Client, r *results) {
	const group, name = "sc-golinstor", "pvc-golinstor-rg"
	err := c.ResourceGroups.Create(ctx, client.ResourceGroup{
		Name: group, SelectFilter: client.AutoSelectFilter{PlaceCount: 2}})
	if !r.check("ResourceGroups.Create place_count=2", err, group) {
		return
	}
	rg, err := c.ResourceGroups.Get(ctx, group)
	if err == nil && rg.SelectFilter.PlaceCount != 2 {
		err = fmt.Errorf("place_count %d", rg.SelectFilter.PlaceCount)
	}
	r.check("ResourceGroups.Get", err, "place_count 2")
	err = c.ResourceGroups.CreateVolumeGroup(ctx, group, client.VolumeGroup{})
	r.check("ResourceGroups.CreateVolumeGroup", err, "volume 0")
	vgs, err := c.ResourceGroups.GetVolumeGroups(ctx, group)
	if err == nil && len(vgs) != 1 {
		err = fmt.Errorf("%d volume groups, want 1", len(vgs))
	}
	r.check("ResourceGroups.GetVolumeGroups", err, "1")
	err = c.ResourceGroups.Spawn(ctx, group, client.ResourceGroupSpawn{
		ResourceDefinitionName: name, VolumeSizes: []int64{volumeKiB}})
	if !r.check("ResourceGroups.Spawn", err, name) {
		return
	}
	rd, err := c.ResourceDefinitions.Get(ctx, name)
	if err == nil && rd.ResourceGroupName != group {
		err = fmt.Errorf("resource_group_name %q", rd.ResourceGroupName)
	}
	r.check("ResourceDefinitions.Get (spawned)", err, "resource_group_name "+group)
	view, err := c.Resources.GetResourceView(ctx, &client.ListOpts{Resource: []string{name}})
	diskful := 0
	for _, row := range view {
		if !contains(row.Flags, "DISKLESS") {
			diskful++
		}
	}
	if err == nil && diskful != 2 {
		err = fmt.Errorf("%d diskful replicas, want the group's place count 2", diskful)
	}
	r.check("Resources.GetResourceView (spawned)", err, "2 diskful replicas")
	deleteVolume(ctx, c, r, name)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
