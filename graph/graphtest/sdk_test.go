package graphtest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abs "github.com/microsoft/kiota-abstractions-go"
	khttp "github.com/microsoft/kiota-http-go"
	msgraph "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	graphauth "github.com/microsoftgraph/msgraph-sdk-go-core/authentication"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"invitesync/graph/graphtest"
)

// sdkClient is msgraph-sdk-go pointed at the simulator as app clientID.
func sdkClient(t *testing.T, s *graphtest.Server, clientID, secret string) *msgraph.GraphServiceClient {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(s.TenantID, clientID, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: s.AuthorityHost()},
			Transport: s.Client(),
		},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := graphauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred,
		[]string{"https://graph.microsoft.com/.default"}, []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	opts := msgraph.GetDefaultClientOptions()
	hc := &http.Client{Transport: khttp.NewCustomTransportWithParentTransport(s.Client().Transport,
		msgraphcore.GetDefaultMiddlewaresWithOptions(&opts)...)}
	adapter, err := msgraph.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, hc)
	if err != nil {
		t.Fatal(err)
	}
	adapter.SetBaseUrl(s.GraphURL())
	return msgraph.NewGraphServiceClient(adapter)
}

// TestTheSDKReadsAnOccurrenceAndItsInstances: the paths msgraph-sdk-go
// builds for an event by id and for a series' instances are served.
func TestTheSDKReadsAnOccurrenceAndItsInstances(t *testing.T) {
	s := newServer(t)
	master, _, inside := addOldSeries(t, s)
	c := sdkClient(t, s, s.ClientID, s.Secret)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := abs.NewRequestHeaders()
	h.Add("Prefer", `IdType="ImmutableId"`)
	h.Add("Prefer", `outlook.timezone="Tonga Standard Time"`)

	ev, err := c.Users().ByUserId(mailbox).Events().ByEventId(inside[2]).Get(ctx, &users.ItemEventsEventItemRequestBuilderGetRequestConfiguration{Headers: h})
	if err != nil {
		t.Fatalf("GET event: %v", err)
	}
	if *ev.GetId() != inside[2] || *ev.GetSubject() != "Weekly review" || len(ev.GetAttendees()) != 1 || *ev.GetSeriesMasterId() != master {
		t.Errorf("event = id %v subject %v", *ev.GetId(), *ev.GetSubject())
	}
	if st := ev.GetStart(); *st.GetDateTime() != "2030-03-19T04:00:00.0000000" || *st.GetTimeZone() != "Tonga Standard Time" {
		t.Errorf("start = %s %s, want 04:00 the next day in Tonga", *st.GetDateTime(), *st.GetTimeZone())
	}

	start, end := winStart.Format(time.RFC3339), winEnd.Format(time.RFC3339)
	top := int32(3)
	builder := c.Users().ByUserId(mailbox).Events().ByEventId(master).Instances()
	page, err := builder.Get(ctx, &users.ItemEventsItemInstancesRequestBuilderGetRequestConfiguration{Headers: h,
		QueryParameters: &users.ItemEventsItemInstancesRequestBuilderGetQueryParameters{StartDateTime: &start, EndDateTime: &end, Top: &top}})
	var ids []string
	for err == nil {
		for _, e := range page.GetValue() {
			ids = append(ids, *e.GetId())
		}
		next := page.GetOdataNextLink()
		if next == nil {
			break
		}
		page, err = builder.WithUrl(*next).Get(ctx, &users.ItemEventsItemInstancesRequestBuilderGetRequestConfiguration{Headers: h})
	}
	if err != nil {
		t.Fatalf("instances: %v", err)
	}
	if len(ids) != len(inside) || ids[0] != inside[0] || ids[3] != inside[3] {
		t.Errorf("instances = %v, want %v", ids, inside)
	}
}
