package graphtest

// RevokeTokens makes Graph refuse every access token issued so far with 401
// InvalidAuthenticationToken, although none has expired: what a client sees
// after the tokens were revoked or the app's secret deleted and added again.
// The token endpoint keeps issuing new ones.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.accessTokens)
}
