package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"invitesync/graph"
	"invitesync/idm"
	"invitesync/idm/idmtest"
	invsync "invitesync/sync"
)

// rawFloor is what the simulators alone take for a first round's work,
// with no invitesync logic: paging the mailbox's calendar delta to its end
// (the window and page size invitesync asks for), then writing visits
// PUTs to IDM with invitesync's delivery concurrency. The visits are new
// ones, as in a first round.
func rawFloor(b *testing.B, e *e2e, hostID string, visits int) (paging, putting time.Duration) {
	b.Helper()
	gc := e.graph.Client()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {e.graph.ClientID},
		"client_secret": {e.graph.Secret}, "scope": {"https://graph.microsoft.com/.default"}}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := rawJSON(gc, http.MethodPost, e.graph.AuthorityHost()+e.graph.TenantID+"/oauth2/v2.0/token",
		"application/x-www-form-urlencoded", strings.NewReader(form.Encode()), "", &tok); err != nil {
		b.Fatal(err)
	}

	began := time.Now()
	now := time.Now().UTC()
	link := e.graph.GraphURL() + "/users/" + e2eMailbox + "/calendarView/delta?" + url.Values{
		"startDateTime": {now.Format(time.RFC3339)},
		"endDateTime":   {now.AddDate(0, 0, 31).Format(time.RFC3339)},
	}.Encode()
	for link != "" {
		var page struct {
			Value     []json.RawMessage `json:"value"`
			NextLink  string            `json:"@odata.nextLink"`
			DeltaLink string            `json:"@odata.deltaLink"`
		}
		if err := rawJSON(gc, http.MethodGet, link, "", nil, tok.AccessToken, &page); err != nil {
			b.Fatal(err)
		}
		link = page.NextLink
	}
	paging = time.Since(began)

	began = time.Now()
	ic := invsync.PooledClient(e.idm.Client())
	next := make(chan int)
	var wg stdsync.WaitGroup
	var mu stdsync.Mutex
	var failed error
	for range invsync.DeliveryConcurrency {
		wg.Go(func() {
			for i := range next {
				at := tomorrowAt(10) // in the environment's zone, as IDM wants
				body, _ := json.Marshal(idm.Visit{
					EnvironmentID: idmtest.DefaultEnvironment.ID, HostEmployeeID: hostID,
					Visitor: idm.Visitor{Email: fmt.Sprintf("raw%d@fabrikam.com", i), FirstName: "Raw", LastName: "Guest"},
					Arrival: at, Departure: at.Add(time.Hour), Subject: "Visit", Location: "Reception",
				})
				if err := rawJSON(ic, http.MethodPut, fmt.Sprintf("%s/visits/raw-%d", e.idm.URL(), i),
					"application/json", bytes.NewReader(body), e.idm.APIKey(), nil); err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
				}
			}
		})
	}
	for i := range visits {
		next <- i
	}
	close(next)
	wg.Wait()
	if failed != nil {
		b.Fatal(failed)
	}
	return paging, time.Since(began)
}

// rawJSON sends one request and decodes its JSON answer into out (nil:
// read and dropped); any status but 2xx is an error.
func rawJSON(c *http.Client, method, u, contentType string, body io.Reader, bearer string, out any) error {
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if strings.Contains(u, "/calendarView/") {
		req.Header.Set("Prefer", fmt.Sprintf("odata.maxpagesize=%d", graph.DefaultPageSize))
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("%s %s: %s %s", method, u, resp.Status, msg)
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
