package main

import (
	"context"
	"errors"
	"fmt"

	linstor "github.com/LINBIT/golinstor"
	"github.com/LINBIT/golinstor/client"
)

const volumeKiB = 1 << 20 // 1 GiB, linstor-csi sizes volume definitions in KiB

// refusal passes when err is the LINSTOR ApiCallRc refusal `mask` (ret_code & error|code bits).
func refusal(err error, mask uint64) error {
	if err == nil {
		return errors.New("accepted; LINSTOR refuses this")
	}
	if !client.IsApiCallError(err, mask) {
		return fmt.Errorf("want ret_code mask %#x, got %v", mask, err)
	}
	return nil
}

func notFound(err error) error {
	if !errors.Is(err, client.NotFoundError) {
		return fmt.Errorf("want client.NotFoundError (404), got %v", err)
	}
	return nil
}

// createVolume does what linstor-csi's CreateVolume does: RD, VD, auto-place.
func createVolume(ctx context.Context, c *client.Client, r *results, name string, place int32) bool {
	err := c.ResourceDefinitions.Create(ctx, client.ResourceDefinitionCreate{
		ResourceDefinition: client.ResourceDefinition{Name: name}})
	if !r.check("ResourceDefinitions.Create "+name, err, "created") {
		return false
	}
	vd := client.VolumeDefinitionCreate{VolumeDefinition: client.VolumeDefinition{SizeKib: volumeKiB}}
	err = c.ResourceDefinitions.CreateVolumeDefinition(ctx, name, vd)
	if !r.check("ResourceDefinitions.CreateVolumeDefinition", err, "1 GiB") {
		return false
	}
	err = c.Resources.Autoplace(ctx, name, client.AutoPlaceRequest{
		SelectFilter: client.AutoSelectFilter{PlaceCount: place}})
	return r.check(fmt.Sprintf("Resources.Autoplace place_count=%d", place), err, "placed")
}

// deleteVolume does what linstor-csi's DeleteVolume does: every resource, then the RD.
func deleteVolume(ctx context.Context, c *client.Client, r *results, name string) {
	resources, err := c.Resources.GetAll(ctx, name)
	r.check("Resources.GetAll (before delete)", err, fmt.Sprintf("%d resources", len(resources)))
	for _, res := range resources {
		err = c.Resources.Delete(ctx, name, res.NodeName)
		r.check("Resources.Delete "+res.NodeName, err, "deleted")
	}
	r.check("ResourceDefinitions.Delete "+name, c.ResourceDefinitions.Delete(ctx, name), "deleted")
	r.check("ResourceDefinitions.Get right after delete", goneNow(ctx, c, name), "404")
}

// goneNow: one GET right after the DELETE answered must be 404. LINSTOR's DELETE returns when
// the satellites removed every resource and the RD's data (CtrlRscDfnDeleteApiCallHandler), and
// so does the mock (docs/mock-linstor.md "Answers after the satellites").
func goneNow(ctx context.Context, c *client.Client, name string) error {
	rd, err := c.ResourceDefinitions.Get(ctx, name)
	if errors.Is(err, client.NotFoundError) {
		return nil
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("still listed after DELETE answered (flags %v)", rd.Flags)
}

func csiFlow(ctx context.Context, c *client.Client, r *results) {
	nodes, err := c.Nodes.GetAll(ctx)
	if err == nil && len(nodes) < 3 {
		err = fmt.Errorf("%d nodes, want >= 3", len(nodes))
	}
	r.check("Nodes.GetAll", err, fmt.Sprintf("%d nodes", len(nodes)))
	pools, err := c.Nodes.GetStoragePoolView(ctx)
	r.check("Nodes.GetStoragePoolView", err, fmt.Sprintf("%d pools", len(pools)))
	const name = "pvc-golinstor-1"
	if !createVolume(ctx, c, r, name, 2) {
		return
	}
	err = c.ResourceDefinitions.Create(ctx, client.ResourceDefinitionCreate{
		ResourceDefinition: client.ResourceDefinition{Name: name}})
	r.check("ResourceDefinitions.Create (exists)", refusal(err, linstor.FailExistsRscDfn), "FAIL_EXISTS_RSC_DFN")
	listAndView(ctx, c, r, name, nodes)
	refusals(ctx, c, r, name, len(nodes))
	deleteVolume(ctx, c, r, name)
}

func listAndView(ctx context.Context, c *client.Client, r *results, name string, nodes []client.Node) {
	rd, err := c.ResourceDefinitions.Get(ctx, name)
	if err == nil && rd.Name != name {
		err = fmt.Errorf("name %q", rd.Name)
	}
	r.check("ResourceDefinitions.Get", err, rd.Name)
	all, err := c.ResourceDefinitions.GetAll(ctx, client.RDGetAllRequest{
		ResourceDefinitions: []string{name}, WithVolumeDefinitions: true})
	if err == nil && (len(all) != 1 || len(all[0].VolumeDefinitions) != 1) {
		err = fmt.Errorf("want 1 RD with 1 VD, got %+v", all)
	}
	r.check("ResourceDefinitions.GetAll with_volume_definitions", err, "1 RD, 1 VD")
	vds, err := c.ResourceDefinitions.GetVolumeDefinitions(ctx, name)
	if err == nil && (len(vds) != 1 || vds[0].SizeKib != volumeKiB) {
		err = fmt.Errorf("want one VD of %d KiB, got %+v", volumeKiB, vds)
	}
	r.check("ResourceDefinitions.GetVolumeDefinitions", err, "size_kib matches")
	_, err = c.ResourceDefinitions.GetVolumeDefinition(ctx, name, 0)
	r.check("ResourceDefinitions.GetVolumeDefinition 0", err, "found")
	resources, err := c.Resources.GetAll(ctx, name)
	r.check("Resources.GetAll", err, fmt.Sprintf("%d resources", len(resources)))
	view, err := c.Resources.GetResourceView(ctx, &client.ListOpts{Resource: []string{name}})
	r.check("Resources.GetResourceView resources="+name, checkView(view, err, name, len(resources)),
		fmt.Sprintf("%d rows with volumes", len(view)))
	makeAvailable(ctx, c, r, name, resources, nodes)
}

// checkView: one row per resource, each of this RD, each with its volume.
func checkView(view []client.ResourceWithVolumes, err error, name string, want int) error {
	if err != nil {
		return err
	}
	if len(view) != want || want < 2 {
		return fmt.Errorf("%d rows, want %d (>= 2)", len(view), want)
	}
	for _, row := range view {
		if row.Name != name || len(row.Volumes) != 1 {
			return fmt.Errorf("row %s on %s with %d volumes", row.Name, row.NodeName, len(row.Volumes))
		}
	}
	return nil
}

// makeAvailable: what linstor-csi's ControllerPublishVolume does on a node without a replica.
func makeAvailable(ctx context.Context, c *client.Client, r *results, name string,
	resources []client.Resource, nodes []client.Node) {
	has := map[string]bool{}
	for _, res := range resources {
		has[res.NodeName] = true
	}
	for _, n := range nodes {
		if has[n.Name] || n.ConnectionStatus != "ONLINE" {
			continue
		}
		err := c.Resources.MakeAvailable(ctx, name, n.Name, client.ResourceMakeAvailable{})
		r.check("Resources.MakeAvailable "+n.Name, err, "attached")
		res, err := c.Resources.Get(ctx, name, n.Name)
		if err == nil && res.NodeName != n.Name {
			err = fmt.Errorf("got %s", res.NodeName)
		}
		r.check("Resources.Get "+n.Name, err, fmt.Sprintf("flags %v", res.Flags))
		return
	}
	r.check("Resources.MakeAvailable", errors.New("no ONLINE node without a replica"), "")
}

func refusals(ctx context.Context, c *client.Client, r *results, name string, nodes int) {
	_, err := c.ResourceDefinitions.Get(ctx, "no-such-rd")
	r.check("ResourceDefinitions.Get (missing)", notFound(err), "404")
	err = c.Resources.Autoplace(ctx, "no-such-rd", client.AutoPlaceRequest{
		SelectFilter: client.AutoSelectFilter{PlaceCount: 2}})
	// LINSTOR answers FAIL_NOT_FOUND_RSC_DFN with HTTP 404; golinstor turns every 404 into
	// client.NotFoundError (the ApiCallRc body is dropped).
	r.check("Resources.Autoplace (missing RD)", notFound(err), "404")
	err = c.Resources.Autoplace(ctx, name, client.AutoPlaceRequest{
		SelectFilter: client.AutoSelectFilter{PlaceCount: int32(nodes + 5)}})
	r.check("Resources.Autoplace (too many)", refusal(err, linstor.FailNotEnoughNodes), "FAIL_NOT_ENOUGH_NODES")
}
